import { Redis, ReplyError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

let redis: Redis;

const server = useRedisServer();
beforeEach(async () => {
  redis = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
  await redis.call('flushall');
  await redis.call('config', 'resetstat');
});
afterEach(async () => {
  await redis.close();
});

async function calls(name: string): Promise<number> {
  const stats = await server.cli('info', 'commandstats');
  return Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

describe('transparent script caching', () => {
  const script = 'return redis.call("incr", KEYS[1])';

  it('sends EVAL once, then EVALSHA, and survives SCRIPT FLUSH', async () => {
    for (let i = 1; i <= 5; i++) expect(await redis.call('eval', script, 1, 'n')).toBe(i);
    expect(await calls('eval')).toBe(1);
    expect(await calls('evalsha')).toBe(4);
    await redis.call('script', 'flush');
    expect(await redis.call('eval', script, 1, 'n')).toBe(6);
    expect(await calls('eval')).toBe(2);
    expect(await redis.call('eval', script, 1, 'n')).toBe(7);
    expect(await calls('evalsha')).toBe(6); // 4 + the NOSCRIPT one + the one after reload
  });

  it('survives a server restart', async () => {
    await redis.call('eval', 'return 1', 0);
    await redis.call('eval', 'return 1', 0);
    await server.restart();
    expect(await redis.call('eval', 'return 1', 0)).toBe(1);
  });

  it('caches EVAL_RO and Buffer sources too, and passes script errors through', async () => {
    await redis.call('set', 'k', 'v');
    const source = Buffer.from('return redis.call("get", KEYS[1])');
    expect(await redis.call('eval_ro', source, 1, 'k')).toBe('v');
    expect(await redis.call('eval_ro', source, 1, 'k')).toBe('v');
    expect(await calls('evalsha_ro')).toBe(1);
    await expect(redis.call('eval', 'return redis.call("lpush", KEYS[1], 1)', 1, 'k')).rejects.toThrow(ReplyError);
  });

  it('sends EVAL as written inside MULTI', async () => {
    await redis.call('eval', 'return 2', 0);
    await using c = await redis.connection();
    await c.call('multi');
    await c.call('eval', 'return 2', 0);
    expect(await c.call('exec')).toEqual([2]);
    expect(await calls('eval')).toBe(2);
  });
});

describe('scan helpers', () => {
  it('walks every key with match, count and type', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
    await redis.pipeline(keys.map((k) => ['set', k, '1']));
    await redis.call('hset', 'key:hash', 'f', 'v');
    const seen = new Set<string>();
    for await (const key of redis.scanIterator({ match: 'key:*', count: 50 })) seen.add(key);
    expect(seen.size).toBe(1001);
    const hashes: string[] = [];
    for await (const key of redis.scanIterator({ type: 'hash' })) hashes.push(key);
    expect(hashes).toEqual(['key:hash']);
  });

  it('walks hashes, sets and sorted sets', async () => {
    await redis.call('hset', 'h', 'a', '1', 'b', '2');
    await redis.call('sadd', 's', 'x', 'y');
    await redis.call('zadd', 'z', 1, 'one', 2, 'two');
    const h: [string, string][] = [];
    for await (const pair of redis.hscanIterator('h')) h.push(pair);
    expect(new Map(h)).toEqual(new Map([['a', '1'], ['b', '2']]));
    const s: string[] = [];
    for await (const m of redis.sscanIterator('s', { match: 'x' })) s.push(m);
    expect(s).toEqual(['x']);
    const z: [string, string][] = [];
    for await (const pair of redis.zscanIterator('z')) z.push(pair);
    expect(new Map(z)).toEqual(new Map([['one', '1'], ['two', '2']]));
  });

  it('rejects bad options before sending', async () => {
    await expect(redis.scanIterator({ count: 0 }).next()).rejects.toThrow(RangeError);
    await expect(redis.hscanIterator('h', { type: 'hash' } as never).next()).rejects.toThrow(TypeError);
  });
});
