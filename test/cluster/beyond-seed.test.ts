import type { RedisServer } from '../../lib/testing/index.js';
import { Redis } from '../../lib/core/index.js';
import { eventually } from '../helpers.js';
import { useRedisCluster } from '../fixtures.js';

/**
 * Script caching, client-side caching and SCAN on a real 3-master cluster (no replicas:
 * this file is about routing per node, not failover).
 */
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

async function calls(node: RedisServer, command: string): Promise<number> {
  const stats = await node.cli('info', 'commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

async function total(command: string): Promise<number> {
  const counts = await Promise.all(cluster.nodes.map((n) => calls(n, command)));
  return counts.reduce((a, b) => a + b, 0);
}

it('walks every key of a 10k-key keyspace across all masters with scanIterator', async () => {
  await using redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const keys = Array.from({ length: 10_000 }, (_, i) => `scan:${i}`);
  for (let i = 0; i < keys.length; i += 1000) await redis.pipeline(keys.slice(i, i + 1000).map((k) => ['set', k, '1']));
  const perMaster = await Promise.all((await cluster.masters()).map(async (m) => Number(await m.cli('dbsize'))));
  expect(perMaster.every((n) => n > 0)).toBe(true);
  const seen = new Set<string>();
  let yielded = 0;
  for await (const key of redis.scanIterator({ match: 'scan:*', count: 500 })) {
    seen.add(key);
    yielded++;
  }
  expect(seen).toEqual(new Set(keys));
  // SCAN may repeat a key while a table rehashes; the helper passes repeats on, and says so.
  expect(yielded).toBeGreaterThanOrEqual(keys.length);
});

it('caches scripts per node: EVALSHA after the first call, EVAL again after SCRIPT FLUSH', async () => {
  await using redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const script = 'return redis.call("incr", KEYS[1])';
  const keys = ['{a}n', '{b}n', '{c}n', '{d}n', '{e}n', '{f}n'];
  for (let round = 0; round < 3; round++) for (const k of keys) await redis.call('eval', script, 1, k);
  expect(await redis.call('get', '{a}n')).toBe('3');
  const evals = await total('eval');
  const evalshas = await total('evalsha');
  // One EVAL loads the script; on each other master one NOSCRIPT, then EVAL there too.
  expect(evals).toBeLessThanOrEqual(3);
  expect(evalshas).toBeGreaterThanOrEqual(18 - 3 - 2);
  await redis.call('script', 'flush', { endpoint: 'masters' });
  for (const k of keys) expect(await redis.call('eval', script, 1, k)).toBe(4);
});

it.each([2, 3] as const)('keeps client-side caches consistent across nodes (RESP%i)', async (respVersion) => {
  await using redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8', respVersion, clientSideCache: true });
  await using other = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const keys = ['csc:a', 'csc:b', 'csc:c', 'csc:d'];
  for (const k of keys) await other.call('set', k, 'v1');
  await eventually(async () => {
    for (const k of keys) expect(await redis.call('get', k)).toBe('v1');
    return redis.clientSideCacheStats().entries === keys.length;
  });
  const before = await total('get');
  for (let i = 0; i < 5; i++) for (const k of keys) expect(await redis.call('get', k)).toBe('v1');
  expect(await total('get')).toBe(before);
  for (const k of keys) await other.call('set', k, 'v2');
  await eventually(() => redis.clientSideCacheStats().entries === 0);
  for (const k of keys) expect(await redis.call('get', k)).toBe('v2');
});

it.each([2, 3] as const)('reads its own writes with client-side caching on a cluster: split MSET, EVAL, RENAME, MULTI on connection({ key }) (RESP%i)', async (respVersion) => {
  // The cluster path of the cache's key lookup (the routing table's specs). The standalone
  // tests (test/core/cache-read-your-writes.test.ts) hold invalidations back to prove the
  // timing; here they only flow as fast as the nodes send them.
  await using redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8', respVersion, clientSideCache: true });
  await using other = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const keys = ['ryw:a', 'ryw:b', '{ryw}:c', '{ryw}:d'];
  const cacheAll = async (value: string) => {
    for (const k of keys) await other.call('set', k, value);
    await eventually(async () => {
      for (const k of keys) if ((await redis.call('get', k)) !== value) return false;
      const hits = redis.clientSideCacheStats().hits;
      for (const k of keys) await redis.call('get', k);
      return redis.clientSideCacheStats().hits === hits + keys.length;
    });
  };
  await cacheAll('old');
  await redis.call('mset', 'ryw:a', '1', 'ryw:b', '2', '{ryw}:c', '3');
  expect(await redis.call('mget', 'ryw:a', 'ryw:b', '{ryw}:c')).toEqual(['1', '2', '3']);
  await cacheAll('old');
  await redis.call('eval', "return redis.call('set', KEYS[1], ARGV[1])", 1, 'ryw:b', 'script');
  expect(await redis.call('get', 'ryw:b')).toBe('script');
  await redis.call('rename', '{ryw}:c', '{ryw}:d');
  expect(await redis.call('get', '{ryw}:d')).toBe('old');
  expect(await redis.call('get', '{ryw}:c')).toBeNull();
  await cacheAll('old');
  const c = await redis.connection({ key: '{ryw}' });
  try {
    await c.pipeline([['multi'], ['set', '{ryw}:c', 'tx'], ['del', '{ryw}:d'], ['exec']]);
  } finally {
    await c.release();
  }
  expect(await redis.call('mget', '{ryw}:c', '{ryw}:d')).toEqual(['tx', null]);
});
