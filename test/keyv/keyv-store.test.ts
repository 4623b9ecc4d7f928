import { Controller, Get, Inject, Module, Param, Post, Query, type INestApplication } from '@nestjs/common';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import request from 'supertest';
import { getRedisToken, JustRedisModule, Redis } from '../../lib/index.js';
import { KeyvJustRedis } from '../../lib/keyv/index.js';
import { startRedisCluster, startRedisServer, type RedisClusterSetup, type RedisServer } from '../../lib/testing/index.js';
import { eventually } from '../helpers.js';

let server: RedisServer;
let cluster: RedisClusterSetup;

beforeAll(async () => {
  await Promise.all([startRedisServer().then((s) => (server = s)), startRedisCluster({ masters: 3, replicasPerMaster: 0 }).then((c) => (cluster = c))]);
}, 90_000);

afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});

interface Setup {
  url(): string;
  client(): Redis;
  /** How @keyv/redis (node-redis) connects to the same servers. */
  theirs(): ConstructorParameters<typeof KeyvRedis>[0];
}
const setups: [string, Setup][] = [
  ['standalone', { url: () => server.url, client: () => new Redis({ address: server.address }), theirs: () => server.url }],
  [
    'cluster',
    {
      url: () => cluster.url,
      client: () => Redis.fromUrl(cluster.url),
      theirs: () => ({ rootNodes: cluster.addresses.map(([host, port]) => ({ url: `redis://${host}:${port}` })) }),
    },
  ],
];

/** Keys in many slots (on the cluster they spread over the masters). */
const spread = ['a', 'b', 'c', 'user:1', 'user:2', 'user:3', 'zz', 'k9'];

@Controller('items')
class ItemsController {
  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  @Post(':key')
  async put(@Param('key') key: string, @Query('value') value: string, @Query('ttl') ttl?: string): Promise<{ ok: true }> {
    await this.cache.set(key, { value }, ttl === undefined ? undefined : Number(ttl));
    return { ok: true };
  }

  @Get(':key')
  async read(@Param('key') key: string): Promise<{ value: string | null }> {
    const item = await this.cache.get<{ value: string }>(key);
    return { value: item?.value ?? null };
  }
}

async function cacheApp(url: string): Promise<INestApplication> {
  @Module({
    imports: [
      JustRedisModule.forRoot({ url }),
      CacheModule.registerAsync({
        inject: [getRedisToken()],
        useFactory: (redis: Redis) => ({ stores: [new Keyv({ store: new KeyvJustRedis(redis), namespace: 'app' })] }),
      }),
    ],
    controllers: [ItemsController],
  })
  class CacheAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [CacheAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe.each(setups)('KeyvJustRedis on %s', (_name, setup) => {
  let redis: Redis;
  let admin: Redis;

  beforeAll(() => {
    redis = setup.client();
    admin = redis.modify({ decoder: 'utf8' });
  });
  afterAll(async () => {
    await redis?.close();
  });
  afterEach(async () => {
    for await (const key of admin.scanIterator()) await admin.call('del', key);
  });

  it('stores keys as namespace::key (the @keyv/redis layout) with ttl in ms as PX', async () => {
    const store = new KeyvJustRedis(redis, { namespace: 'ns' });
    expect(await store.set('k', 'v', 5000)).toBe(true);
    expect(await store.set('forever', 'w')).toBe(true);
    expect(await admin.call('get', 'ns::k')).toBe('v');
    const pttl = await admin.call('pttl', 'ns::k');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
    expect(await admin.call('pttl', 'ns::forever')).toBe(-1);
    expect(await store.get('k')).toBe('v');
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.has('k')).toBe(true);
    expect(await store.has('missing')).toBe(false);
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
  });

  it('rejects a bad ttl or a non-string value before sending anything', async () => {
    const store = new KeyvJustRedis(redis, { namespace: 'ns' });
    await expect(store.set('k', 'v', -1)).rejects.toThrow(RangeError);
    await expect(store.set('k', 'v', Number.NaN)).rejects.toThrow(RangeError);
    await expect(store.set('k', { not: 'serialized' })).rejects.toThrow(TypeError);
    expect(await admin.call('exists', 'ns::k')).toBe(0);
  });

  it('getMany / setMany / hasMany / deleteMany across slots, in order', async () => {
    const store = new KeyvJustRedis(redis, { namespace: 'ns' });
    expect(await store.setMany(spread.map((key, i) => ({ key, value: `v${i}`, ttl: i % 2 === 0 ? 60_000 : undefined })))).toEqual(spread.map(() => true));
    expect(await store.getMany([...spread, 'nope'])).toEqual([...spread.map((_, i) => `v${i}`), undefined]);
    expect(await admin.call('pttl', 'ns::a')).toBeGreaterThan(0);
    expect(await admin.call('pttl', 'ns::b')).toBe(-1);
    expect(await store.hasMany(['a', 'nope', 'c'])).toEqual([true, false, true]);
    expect(await store.deleteMany(['a', 'b', 'nope'])).toBe(true);
    expect(await store.deleteMany(['a', 'nope'])).toBe(false);
    expect(await store.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, 'v2']);
  });

  it('round-trips unicode and Buffers through Keyv, and expires on time', async () => {
    const keyv = new Keyv({ store: new KeyvJustRedis(redis), namespace: 'app' });
    const value = { text: 'zażółć 🚀 日本', bytes: Buffer.from([0, 255, 10, 13]) };
    await keyv.set('u', value);
    expect(await keyv.get('u')).toEqual(value);
    expect(await keyv.get(['u', 'missing'])).toEqual([value, undefined]);
    await keyv.set('short', 'x', 200);
    expect(await keyv.get('short')).toBe('x');
    await eventually(async () => (await admin.call('exists', 'app::app:short')) === 0);
    expect(await keyv.get('short')).toBeUndefined();
  });

  it('clear() deletes its namespace only, on every master', async () => {
    const keyv = new Keyv({ store: new KeyvJustRedis(redis, { clearBatchSize: 3 }), namespace: 'app' });
    const other = new Keyv({ store: new KeyvJustRedis(redis), namespace: 'other' });
    const glob = new Keyv({ store: new KeyvJustRedis(redis), namespace: 'ap*' });
    for (const key of spread) {
      await keyv.set(key, 1);
      await other.set(key, 2);
      await glob.set(key, 3);
    }
    await admin.call('set', 'app', 'foreign');
    await admin.call('set', 'app:x', 'foreign');
    await admin.call('hset', 'app::hash', 'f', 'not a cache entry');
    await keyv.clear();
    for (const key of spread) {
      expect(await keyv.get(key)).toBeUndefined();
      expect(await other.get(key)).toBe(2);
      expect(await glob.get(key)).toBe(3);
    }
    expect(await admin.call('get', 'app')).toBe('foreign');
    expect(await admin.call('get', 'app:x')).toBe('foreign');
    expect(await admin.call('hget', 'app::hash', 'f')).toBe('not a cache entry');
    // 'ap*' is a namespace, not a pattern: clearing it must not reach 'app'.
    await keyv.set('a', 1);
    await glob.clear();
    expect(await glob.get('a')).toBeUndefined();
    expect(await keyv.get('a')).toBe(1);
  });

  it('clear() without a namespace removes only un-namespaced string keys (as @keyv/redis)', async () => {
    const store = new KeyvJustRedis(redis);
    await store.set('plain', 'p');
    await admin.call('set', 'app::kept', 'k');
    await admin.call('rpush', 'list', 'kept');
    await store.clear();
    expect(await admin.call('exists', 'plain')).toBe(0);
    expect(await admin.call('exists', 'app::kept', 'list')).toBe(2);
  });

  it('iterates its namespace through Keyv', async () => {
    const keyv = new Keyv({ store: new KeyvJustRedis(redis, { clearBatchSize: 2 }), namespace: 'app' });
    const other = new Keyv({ store: new KeyvJustRedis(redis), namespace: 'other' });
    for (const [i, key] of spread.entries()) await keyv.set(key, i);
    await other.set('a', 'x');
    const seen = new Map<string, unknown>();
    for await (const [key, value] of keyv.iterator!(undefined)) seen.set(key, value);
    expect(seen).toEqual(new Map(spread.map((key, i) => [key, i])));
  });

  it('reads what @keyv/redis wrote and the other way round (same key layout)', async () => {
    const theirs = new KeyvRedis(setup.theirs(), { namespace: 'shared' });
    const ours = new KeyvJustRedis(redis, { namespace: 'shared' });
    try {
      await theirs.set('from-theirs', 'T');
      await ours.set('from-ours', 'O');
      expect(await ours.get('from-theirs')).toBe('T');
      expect(await theirs.get('from-ours')).toBe('O');
    } finally {
      await theirs.disconnect();
    }
  });

  it('disconnect() leaves a given client open and closes one it created', async () => {
    await new KeyvJustRedis(redis).disconnect();
    expect(await redis.call('ping')).toEqual(Buffer.from('PONG'));
    const owned = new KeyvJustRedis(setup.url(), { namespace: 'own' });
    await owned.set('k', 'v');
    await owned.disconnect();
    await expect(owned.get('k')).rejects.toThrow(/closed/i);
    expect(await admin.call('get', 'own::k')).toBe('v');
  });

  it('serves cache-manager in two Nest app instances: shared values, expiry on time, client kept open on close', async () => {
    const [one, two] = await Promise.all([cacheApp(setup.url()), cacheApp(setup.url())]);
    try {
      await request(one.getHttpServer()).post('/items/greeting?value=h%C3%A9llo').expect(201);
      await request(two.getHttpServer()).get('/items/greeting').expect(200, { value: 'héllo' });
      await request(two.getHttpServer()).post('/items/brief?value=soon&ttl=300').expect(201);
      await request(one.getHttpServer()).get('/items/brief').expect(200, { value: 'soon' });
      expect(await admin.call('pttl', 'app::app:brief')).toBeGreaterThan(0);
      await eventually(async () => (await request(one.getHttpServer()).get('/items/brief')).body.value === null);
      expect(await admin.call('exists', 'app::app:brief')).toBe(0);
      await request(two.getHttpServer()).get('/items/greeting').expect(200, { value: 'héllo' });
    } finally {
      await one.close();
      await two.close();
    }
  });
});
