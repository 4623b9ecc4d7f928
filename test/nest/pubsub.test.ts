import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom, take, toArray } from 'rxjs';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { JustRedisModule, RedisPubSub, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, eventually, numsub } from './nest-helpers.js';

let server: RedisServer;
let admin: Redis;
let app: INestApplication;
let pubsub: RedisPubSub;

beforeAll(async () => {
  server = await startRedisServer();
  admin = adminClient(server.port);
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: server.url }), JustRedisModule.forRoot({ name: 'second', url: server.url })],
  }).compile();
  app = moduleRef.createNestApplication();
  await app.init();
  pubsub = app.get(RedisPubSub);
});

afterAll(async () => {
  await app?.close();
  await admin?.close();
  await server?.stop();
});

const numpat = async () => (await admin.call('pubsub', 'numpat')) as number;
/** Connections subscribed to at least one pattern. */
const patternSubscribers = async () =>
  ((await admin.call('client', 'list')) as string).split('\n').filter((line) => / psub=[1-9]/.test(line)).length;

describe('RedisPubSub', () => {
  it('subscribes on the first subscriber, shares it, and unsubscribes after the last leaves', async () => {
    const news = pubsub.observe('news');
    expect(await numsub(admin, 'news')).toBe(0); // cold: nothing until someone subscribes

    const first: RedisMessage[] = [];
    const second: RedisMessage[] = [];
    const a = news.subscribe((m) => first.push(m));
    await pubsub.settled();
    expect(await numsub(admin, 'news')).toBe(1);
    const b = news.subscribe((m) => second.push(m));
    const c = pubsub.observe({ channel: 'news' }).subscribe();
    await pubsub.settled();
    expect(await numsub(admin, 'news')).toBe(1); // one server subscription shared by three subscribers

    const both = firstValueFrom(news.pipe(take(2), toArray()));
    expect(await pubsub.publish('news', 'one')).toBe(1);
    expect(await pubsub.publish('news', 'two')).toBe(1);
    expect(await both).toEqual([
      { channel: 'news', data: 'one' },
      { channel: 'news', data: 'two' },
    ]);
    expect(first.map((m) => m.data)).toEqual(['one', 'two']);
    expect(second.map((m) => m.data)).toEqual(['one', 'two']);

    a.unsubscribe();
    b.unsubscribe();
    expect(await numsub(admin, 'news')).toBe(1); // c still listens
    c.unsubscribe();
    await eventually(async () => (await numsub(admin, 'news')) === 0);

    // And again: a new first subscriber subscribes again.
    const again = firstValueFrom(news);
    await pubsub.settled();
    expect(await numsub(admin, 'news')).toBe(1);
    await pubsub.publish('news', 'three');
    expect((await again).data).toBe('three');
    await eventually(async () => (await numsub(admin, 'news')) === 0);
  });

  it('observes patterns and sharded channels, decodes per subscriber, and picks the client', async () => {
    const text = firstValueFrom(pubsub.observe({ pattern: 'job.*' }));
    const raw = firstValueFrom(pubsub.observe({ pattern: 'job.*', decoder: null }));
    const viaSecond = firstValueFrom(pubsub.observe({ pattern: 'job.*', client: 'second' }));
    const shard = firstValueFrom(pubsub.observe({ shard: 'cart' }, { decoder: 'base64' }));
    await pubsub.settled();
    expect(await numpat()).toBe(1); // unique patterns…
    expect(await patternSubscribers()).toBe(2); // …one subscription per client
    await pubsub.publish('job.1', 'done', { client: 'second' });
    expect(await text).toEqual({ channel: 'job.1', pattern: 'job.*', data: 'done' });
    expect(await raw).toEqual({ channel: 'job.1', pattern: 'job.*', data: Buffer.from('done') });
    expect(await viaSecond).toEqual({ channel: 'job.1', pattern: 'job.*', data: 'done' });
    await pubsub.publish('cart', 'hi', { shard: true });
    expect(await shard).toEqual({ channel: 'cart', shard: true, data: Buffer.from('hi').toString('base64') });
    await eventually(async () => (await numpat()) === 0);
  });

  it('rejects bad arguments and unknown clients', async () => {
    expect(() => pubsub.observe('')).toThrow(TypeError);
    expect(() => pubsub.observe({ channel: 'a', nope: 1 } as never)).toThrow(TypeError);
    await expect(firstValueFrom(pubsub.observe('x', { client: 'missing' }))).rejects.toThrow(/No Redis client named "missing"/);
    await expect(pubsub.publish('x', 'y', { client: 'missing' })).rejects.toThrow(/missing/);
  });
});

describe('RedisPubSub at shutdown', () => {
  it('completes every Observable and ends the subscriptions on app.close()', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [JustRedisModule.forRoot({ url: server.url })] }).compile();
    const local = moduleRef.createNestApplication();
    await local.init();
    const service = local.get(RedisPubSub);
    let completed = false;
    service.observe('bye').subscribe({ complete: () => (completed = true) });
    await service.settled();
    expect(await numsub(admin, 'bye')).toBe(1);
    await local.close();
    expect(completed).toBe(true);
    await eventually(async () => (await numsub(admin, 'bye')) === 0);
  });
});
