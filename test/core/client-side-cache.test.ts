import { Redis } from '../../lib/core/index.js';
import { LruCache } from '../../lib/core/cache/lru-cache.js';
import { jest } from '@jest/globals';
import { eventually } from '../helpers.js';
import { useRedisServer } from '../fixtures.js';

const server = useRedisServer();

async function calls(name: string): Promise<number> {
  const stats = await server.cli('info', 'commandstats');
  return Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

describe.each([2, 3] as const)('client-side caching over RESP%i', (respVersion) => {
  let redis: Redis;
  let other: Redis;
  beforeEach(async () => {
    other = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    await other.call('flushall');
    await other.call('config', 'resetstat');
    redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion, clientSideCache: true });
  });
  afterEach(async () => {
    await redis.close();
    await other.close();
  });

  /** Waits until the cache holds no entry for the key: the server's invalidation arrived. */
  const invalidated = () => eventually(() => redis.clientSideCacheStats().entries === 0);

  it('answers repeated reads from memory', async () => {
    await other.call('set', 'k', 'v1');
    await other.call('hset', 'h', 'f', 'x');
    // The first reads may go out before tracking is set up (RESP2: before the redirect connection exists).
    await eventually(async () => (await redis.call('get', 'k')) === 'v1' && redis.clientSideCacheStats().entries === 1);
    const getCalls = await calls('get');
    const hits = redis.clientSideCacheStats().hits;
    for (let i = 0; i < 10; i++) expect(await redis.call('get', 'k')).toBe('v1');
    expect(await redis.call('hget', 'h', 'f')).toBe('x');
    expect(await redis.call('hget', 'h', 'f')).toBe('x');
    expect(await calls('get')).toBe(getCalls);
    expect(await calls('hget')).toBe(1);
    expect(redis.clientSideCacheStats().hits).toBe(hits + 11);
  });

  it("sees another client's write once its invalidation is delivered", async () => {
    await other.call('set', 'k', 'v1');
    await eventually(async () => (await redis.call('get', 'k')) === 'v1' && redis.clientSideCacheStats().entries === 1);
    await redis.call('get', 'k');
    await other.call('set', 'k', 'v2');
    await invalidated();
    expect(await redis.call('get', 'k')).toBe('v2');
  });

  it('reads its own writes at once', async () => {
    await redis.call('set', 'own', 'a');
    await eventually(async () => (await redis.call('get', 'own')) === 'a' && redis.clientSideCacheStats().entries === 1);
    await redis.call('set', 'own', 'b');
    expect(await redis.call('get', 'own')).toBe('b');
    await redis.pipeline([['set', 'own', 'c']]);
    expect(await redis.call('get', 'own')).toBe('c');
  });

  it('answers MGET key by key and keys databases and decoders apart', async () => {
    await other.call('mset', 'a', '1', 'b', '2');
    await eventually(async () => {
      await redis.call('mget', 'a', 'b');
      return redis.clientSideCacheStats().entries === 2;
    });
    const before = await calls('mget');
    expect(await redis.call('mget', 'a', 'b')).toEqual(['1', '2']);
    expect(await redis.call('get', 'a')).toBe('1');
    expect(await calls('mget')).toBe(before);
    expect(await redis.call('get', 'a', { decoder: null })).toEqual(Buffer.from('1'));
    expect(await redis.call('get', 'a', { database: 1 })).toBeNull();
  });

  it('empties the cache when a tracking connection is lost, and after FLUSHALL', async () => {
    await other.call('set', 'k', 'v');
    await eventually(async () => (await redis.call('get', 'k')) === 'v' && redis.clientSideCacheStats().entries === 1);
    await other.call('client', 'kill', 'type', respVersion === 3 ? 'normal' : 'pubsub', 'skipme', 'yes');
    await invalidated();
    await other.call('set', 'k', 'after-kill');
    expect(await redis.call('get', 'k')).toBe('after-kill');
    await eventually(async () => (await redis.call('get', 'k')) === 'after-kill' && redis.clientSideCacheStats().entries === 1);
    await other.call('flushall');
    await invalidated();
    expect(await redis.call('get', 'k')).toBeNull();
  });
});

describe('the LRU', () => {
  it('evicts the least recently used beyond maxEntries', () => {
    const lru = new LruCache(2, undefined);
    for (const k of ['a', 'b']) lru.settle(k, k, lru.begin(k), k.toUpperCase(), true);
    expect(lru.get('a')).toBe('A'); // a is now the most recent
    lru.settle('c', 'c', lru.begin('c'), 'C', true);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe('A');
    expect(lru.size).toBe(2);
  });

  it('expires entries after ttl', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1000);
    const lru = new LruCache(10, 50);
    lru.settle('a', 'a', lru.begin('a'), 'A', true);
    now.mockReturnValue(1049);
    expect(lru.get('a')).toBe('A');
    now.mockReturnValue(1050);
    expect(lru.get('a')).toBeUndefined();
    now.mockRestore();
  });

  it('does not store a reply whose key was invalidated while it was on its way', () => {
    const lru = new LruCache(10, undefined);
    const mark = lru.begin('k');
    lru.invalidate('k');
    lru.settle('k', 'sig', mark, 'stale', true);
    expect(lru.get('sig')).toBeUndefined();
  });
});
