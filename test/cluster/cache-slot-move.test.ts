import { Redis } from '../../lib/core/index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import type { RedisServer } from '../../lib/testing/index.js';
import { useRedisCluster } from '../fixtures.js';
import { eventually, readCached } from '../helpers.js';

/**
 * Client-side caching on a cluster whose slots move: the new master never saw this client's
 * reads of a slot, so it will send no invalidation for them. Once the client learns of the
 * move (a MOVED reply, or a slot-map refresh), every entry of that slot must be gone, a
 * cached null included. A second client writes on the new master; the caching client must
 * read that write, not its memory.
 */
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

/** The master serving `slot`, as the cluster reports it. */
async function ownerOf(admin: Redis, slot: number): Promise<RedisServer> {
  const ranges = (await admin.call('cluster', 'slots')) as [number, number, [string, number]][];
  const range = ranges.find(([first, last]) => slot >= first && slot <= last);
  const node = cluster.nodes.find((n) => n.port === range?.[2][1]);
  if (node === undefined) throw new Error(`slot ${slot} unserved`);
  return node;
}

/** Starts moving `slot` to another master (IMPORTING there, MIGRATING on its owner). */
async function startMigration(admin: Redis, slot: number) {
  const source = await ownerOf(admin, slot);
  const masters = await cluster.masters();
  const target = masters.find((m) => m !== source)!;
  const [sourceId, targetId] = await Promise.all([cluster.nodeId(source), cluster.nodeId(target)]);
  await target.cli('cluster', 'setslot', String(slot), 'importing', sourceId);
  await source.cli('cluster', 'setslot', String(slot), 'migrating', targetId);
  return { source, target, targetId, others: masters.filter((m) => m !== source && m !== target) };
}

/**
 * Moves `slot` from its master to another one as `redis-cli --cluster reshard` does:
 * IMPORTING/MIGRATING, MIGRATE of every key, then SETSLOT NODE on every master (the target
 * first, so it bumps its epoch). Returns the new master.
 */
async function moveSlot(admin: Redis, slot: number): Promise<RedisServer> {
  const { source, target, targetId, others } = await startMigration(admin, slot);
  const keys = (await source.cli('cluster', 'getkeysinslot', String(slot), '1000')).split('\n').filter((k) => k !== '');
  if (keys.length > 0) await source.cli('migrate', target.host, String(target.port), '', '0', '5000', 'keys', ...keys);
  for (const node of [target, source, ...others]) {
    await node.cli('cluster', 'setslot', String(slot), 'node', targetId);
  }
  await cluster.waitForAgreement();
  return target;
}

/** Resolves on the client's next slot-map reload. */
function nextRefresh(redis: Redis): Promise<void> {
  return new Promise((resolve) => {
    const listener = () => {
      redis.off('cluster-refresh', listener);
      resolve();
    };
    redis.on('cluster-refresh', listener);
  });
}

describe.each([2, 3] as const)('client-side cache across a slot move, RESP%i', (respVersion) => {
  let redis: Redis;
  let admin: Redis;
  beforeEach(async () => {
    redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8', respVersion, clientSideCache: true });
    admin = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
    // Connected (and tracking) on every master before anything is cached: a connection
    // opened later would empty the cache on its own and hide what these tests look at.
    await redis.call('ping', { endpoint: 'masters' });
  });
  afterEach(async () => {
    await Promise.all([redis.close(), admin.close()]);
  });

  it('drops a cached null of an empty slot that moved, once a MOVED for that slot tells the client', async () => {
    const key = `{empty${respVersion}}k`;
    expect(await readCached(redis, key)).toBeNull();

    const target = await moveSlot(admin, hashSlot(key));
    // Another client writes on the new master: the old one never had the key, so nothing
    // invalidates the cached null there.
    expect(await admin.call('set', key, 'written-on-new-master')).toBe('OK');
    expect(await target.cli('get', key)).toBe('written-on-new-master');

    // Any command of this client for the slot (not answered from memory) meets a MOVED.
    expect(await redis.call('set', `{empty${respVersion}}other`, 'x')).toBe('OK');
    expect(await redis.call('get', key)).toBe('written-on-new-master');
  });

  it('drops a cached null of a slot that starts migrating, once an ASK for that slot tells the client', async () => {
    const key = `{asked${respVersion}}k`;
    expect(await readCached(redis, key)).toBeNull();

    const { target, targetId, source, others } = await startMigration(admin, hashSlot(key));
    // Mid-migration a key its old master does not hold is created on the importing master,
    // which never saw this client's read.
    expect(await admin.call('set', key, 'written-on-importing-master')).toBe('OK');
    expect(await target.cli('cluster', 'countkeysinslot', String(hashSlot(key)))).toBe('1');

    expect(await redis.call('set', `{asked${respVersion}}other`, 'x')).toBe('OK'); // answered with ASK
    expect(await redis.call('get', key)).toBe('written-on-importing-master');

    for (const node of [target, source, ...others]) await node.cli('cluster', 'setslot', String(hashSlot(key)), 'node', targetId);
    await cluster.waitForAgreement();
  });

  it('drops cached values and nulls of a migrated slot when a refresh (after a MOVED for another slot) shows the move', async () => {
    const present = `{full${respVersion}}present`;
    const absent = `{full${respVersion}}absent`;
    const trigger = `{trigger${respVersion}}t`;
    expect(await admin.call('set', present, 'before')).toBe('OK');
    expect(await readCached(redis, present)).toBe('before');
    expect(await readCached(redis, absent)).toBeNull();
    expect(await readCached(redis, trigger)).toBeNull();

    await moveSlot(admin, hashSlot(present));
    await moveSlot(admin, hashSlot(trigger));
    expect(await admin.call('set', absent, 'written-on-new-master')).toBe('OK');

    // A MOVED for the trigger's slot fixes that one slot and asks for a refresh, which brings
    // the other move with it.
    const refreshed = nextRefresh(redis);
    expect(await redis.call('set', `{trigger${respVersion}}other`, 'x')).toBe('OK');
    await refreshed;
    expect(await redis.call('get', absent)).toBe('written-on-new-master');
    // The migrated key itself: its DEL on the old master invalidated it already.
    expect(await redis.call('get', present)).toBe('before');
    // Read there, it is tracked there: the other client's write invalidates it (the
    // invalidation comes on its own schedule, after the writer's reply).
    expect(await admin.call('set', present, 'after')).toBe('OK');
    await eventually(async () => (await redis.call('get', present)) === 'after');
  });
});
