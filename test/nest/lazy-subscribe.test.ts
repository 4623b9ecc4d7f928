import { Test } from '@nestjs/testing';
import { LazyModuleLoader } from '@nestjs/core';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { JustRedisModule, RedisSubscriptionRefusedError, type Redis } from '../../lib/index.js';
import { adminClient, CapturingLogger, eventually, namedConnections, numsub, within } from './nest-helpers.js';
import { LazyForbiddenModule, LazySubscriber, LazySubscriberModule, LazyViewSubscriberModule } from './fixtures/lazy-subscriber.js';

const PASSWORD = 'lazy-secret-pw-57';
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer({ users: [{ username: 'app', password: PASSWORD, rules: 'resetchannels &lazy.* ~* +@all on' }] });
  admin = adminClient(server.port);
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

async function start(clientName: string) {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: `redis://app:${PASSWORD}@${server.host}:${server.port}`, decoder: 'utf8', clientName })],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await within(app.init(), 15_000, 'app.init()');
  return { app, logger, loader: app.get(LazyModuleLoader) };
}

describe('@RedisSubscribe in a module loaded with LazyModuleLoader', () => {
  it('is subscribed by the time load() resolves, gets messages, and is wired once however often the module loads', async () => {
    const clientName = 'lazy-app';
    const { app, loader } = await start(clientName);
    expect(await numsub(admin, 'lazy.ch')).toBe(0);

    const moduleRef = await within(loader.load(() => LazySubscriberModule), 15_000, 'load()');
    expect(await numsub(admin, 'lazy.ch')).toBe(1);
    const subscriber = moduleRef.get(LazySubscriber);
    await admin.call('publish', 'lazy.ch', 'first');
    await eventually(() => subscriber.seen.includes('first'));

    await loader.load(() => LazySubscriberModule);
    await admin.call('publish', 'lazy.ch', 'second');
    await eventually(() => subscriber.seen.includes('second'));
    expect(subscriber.seen).toEqual(['first', 'second']);

    await within(app.close(), 10_000, 'app.close()');
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    expect(await numsub(admin, 'lazy.ch')).toBe(0);
  });

  it('works with a forFeature view in the lazy module', async () => {
    const clientName = 'lazy-view-app';
    const { app, loader } = await start(clientName);
    const db7 = admin.modify({ database: 7 });
    await db7.call('del', 'lazy.view.list');
    await loader.load(() => LazyViewSubscriberModule);
    await admin.call('publish', 'lazy.view.a', 'v1');
    await eventually(async () => ((await db7.call('lrange', 'lazy.view.list', 0, -1)) as string[]).includes('v1'));

    await within(app.close(), 10_000, 'app.close()');
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
  });

  it('rejects load() with the server’s reason when it refuses the subscription', async () => {
    const clientName = 'lazy-refused-app';
    const { app, loader, logger } = await start(clientName);
    const failure = await within(
      loader.load(() => LazyForbiddenModule).then(() => null, (err: unknown) => err),
      15_000,
      'load()',
    );
    expect(failure).toBeInstanceOf(RedisSubscriptionRefusedError);
    expect((failure as Error).message).toMatch(/"acl\.lazy".*NOPERM/);
    expect(logger.find('error', /LazyForbidden\.onMessage cannot subscribe/)).toHaveLength(1);

    await within(app.close(), 10_000, 'app.close()');
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    expect(logger.text()).not.toContain(PASSWORD);
  });
});
