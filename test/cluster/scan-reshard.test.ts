import type { RedisServer } from '../../lib/testing/index.js';
import { Redis } from '../../lib/core/index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { useRedisCluster } from '../fixtures.js';

/**
 * scanIterator on a cluster whose slots move while it walks: 150 slots go from a master not
 * walked yet to one walked already — the case plain per-master SCANs miss (their keys are
 * neither on the first master when it is walked nor on the second any more).
 */
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

const KEYS = 3000;
const MOVED_SLOTS = 150;

/** Which master serves each slot now, by `host:port`, from CLUSTER SLOTS. */
async function slotOwners(redis: Redis): Promise<string[]> {
  const owners = new Array<string>(16384).fill('');
  for (const [first, last, [host, port]] of (await redis.call('cluster', 'slots')) as [number, number, [string, number]][]) {
    for (let slot = first; slot <= last; slot++) owners[slot] = `${host}:${port}`;
  }
  return owners;
}

/** Moves `slots` (with their keys) from `source` to `target` the way a reshard does, telling every master. */
async function moveSlots(slots: number[], source: RedisServer, target: RedisServer): Promise<void> {
  const sourceId = (await source.cli('cluster', 'myid')).trim();
  const targetId = (await target.cli('cluster', 'myid')).trim();
  const masters = await cluster.masters();
  await using admin = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const on = (node: RedisServer) => ({ endpoint: [node.host, node.port] as [string, number] });
  for (const slot of slots) {
    await admin.call('cluster', 'setslot', slot, 'importing', sourceId, on(target));
    await admin.call('cluster', 'setslot', slot, 'migrating', targetId, on(source));
    for (;;) {
      const keys = (await admin.call('cluster', 'getkeysinslot', slot, 100, on(source))) as string[];
      if (keys.length === 0) break;
      await admin.call('migrate', target.host, target.port, '', 0, 5000, 'keys', ...keys, on(source));
    }
    for (const master of masters) await admin.call('cluster', 'setslot', slot, 'node', targetId, on(master));
  }
}

it(`returns every key when ${MOVED_SLOTS} slots move from a master not walked yet to one already walked`, async () => {
  await using redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const keys = Array.from({ length: KEYS }, (_, i) => `rs:${i}`);
  await redis.pipeline(keys.map((k) => ['set', k, '1']));
  const ownerAtStart = await slotOwners(redis);
  const nodeAt = (key: string) => cluster.nodes.find((n) => `${n.host}:${n.port}` === key)!;

  const seen = new Set<string>();
  let yielded = 0;
  let walkedFirst: string | undefined;
  let moved: number[] = [];
  for await (const key of redis.scanIterator({ match: 'rs:*', count: 20 })) {
    seen.add(key);
    yielded++;
    const owner = ownerAtStart[hashSlot(key)];
    walkedFirst ??= owner;
    if (moved.length === 0 && owner !== walkedFirst) {
      // The first master is done, the second under way: take slots holding keys from the
      // third (not walked yet) and give them to the first.
      const third = [...new Set(ownerAtStart)].find((o) => o !== walkedFirst && o !== owner && o !== '')!;
      const withKeys = new Set(keys.map((k) => hashSlot(k)).filter((slot) => ownerAtStart[slot] === third));
      moved = [...withKeys].slice(0, MOVED_SLOTS);
      await moveSlots(moved, nodeAt(third), nodeAt(walkedFirst));
    }
  }
  expect(moved.length).toBe(MOVED_SLOTS);
  const after = await slotOwners(redis);
  expect(moved.every((slot) => after[slot] === walkedFirst)).toBe(true);
  const missing = keys.filter((k) => !seen.has(k));
  expect(missing).toEqual([]);
  expect(seen.size).toBe(KEYS);
  // The first master was walked again, whole: the keys it had from the start came twice.
  const firstAtStart = keys.filter((k) => ownerAtStart[hashSlot(k)] === walkedFirst).length;
  expect(yielded).toBeGreaterThanOrEqual(KEYS + firstAtStart);
}, 60_000);
