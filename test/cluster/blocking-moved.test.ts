/**
 * Blocking commands on a cluster whose slot moved after the client loaded its slot map.
 * A MOVED reply proves the command did not run, so the client sends it again to the new
 * master: a BLPOP (`call`) and a pipeline holding a BLPOP (run on an exclusive connection)
 * still get their element when another client pushes it there. Real cluster, slots moved as
 * a reshard does (IMPORTING/MIGRATING, then SETSLOT NODE on every master; left mid-migration
 * for ASK); the old master's `errorstat_MOVED` / `errorstat_ASK` shows that the client did hit
 * the stale route.
 */
import { Redis } from '../../lib/core/index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import type { RedisServer } from '../../lib/testing/index.js';
import { parseInfo } from '../../lib/testing/redis-cli.js';
import { useRedisCluster } from '../fixtures.js';
import { eventually } from '../helpers.js';
import { within } from '../reliability/support.js';

const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

let redis: Redis;
let pusher: Redis;
beforeAll(async () => {
  redis = new Redis({ poolFactory: 'cluster', addresses: cluster.addresses, decoder: 'utf8' });
  pusher = new Redis({ poolFactory: 'cluster', addresses: cluster.addresses, decoder: 'utf8' });
});
afterAll(async () => {
  await redis?.close();
  await pusher?.close();
});

/** The master serving `slot`, as the cluster reports it. */
async function ownerOf(slot: number): Promise<RedisServer> {
  const ranges = (await pusher.call('cluster', 'slots')) as [number, number, [string, number]][];
  const range = ranges.find(([first, last]) => slot >= first && slot <= last);
  const node = cluster.nodes.find((n) => n.port === range?.[2][1]);
  if (node === undefined) throw new Error(`slot ${slot} unserved`);
  return node;
}

/**
 * Starts moving the (empty) `slot` to another master (not `avoid`): IMPORTING there, MIGRATING
 * on its owner. `finish()` gives it to the target as `redis-cli --cluster reshard` does
 * (SETSLOT NODE on the target first, so it bumps its config epoch, then on every master).
 */
async function startMigration(slot: number, avoid?: RedisServer) {
  const source = await ownerOf(slot);
  const masters = await cluster.masters();
  const target = masters.find((m) => m !== source && m.port !== avoid?.port)!;
  const [sourceId, targetId] = await Promise.all([cluster.nodeId(source), cluster.nodeId(target)]);
  await target.cli('cluster', 'setslot', String(slot), 'importing', sourceId);
  await source.cli('cluster', 'setslot', String(slot), 'migrating', targetId);
  const finish = async () => {
    for (const node of [target, source, ...masters.filter((m) => m !== source && m !== target)]) {
      await node.cli('cluster', 'setslot', String(slot), 'node', targetId);
    }
    await cluster.waitForAgreement();
  };
  return { source, target, finish };
}

/** How many `code` errors (MOVED, ASK) `node` has replied so far. */
async function errorCount(node: RedisServer, code: string): Promise<number> {
  const stat = parseInfo(await node.cli('info', 'errorstats')).get(`errorstat_${code}`);
  return stat === undefined ? 0 : Number(/count=(\d+)/.exec(stat)![1]);
}

const movedCount = (node: RedisServer) => errorCount(node, 'MOVED');

/** Resolves once `node` has a client blocked on a key (its BLPOP waits there). */
async function blockedOn(node: RedisServer): Promise<void> {
  await eventually(async () => Number(parseInfo(await node.cli('info', 'clients')).get('blocked_clients')) > 0, 10_000);
}

/** `key`'s slot moved after the client learned the map (it read the key once on the old master). */
async function staleRouteTo(key: string, avoid?: RedisServer): Promise<{ source: RedisServer; target: RedisServer; movedBefore: number }> {
  await redis.call('get', key);
  const { source, target, finish } = await startMigration(hashSlot(key, 'utf8'), avoid);
  await finish();
  return { source, target, movedBefore: await movedCount(source) };
}

it('BLPOP through call(): MOVED, re-sent to the new master, answered after a push there', async () => {
  const key = '{blocking-moved-c}:list';
  const { source, target, movedBefore } = await staleRouteTo(key);
  const popped = redis.call('blpop', key, 0);
  await blockedOn(target);
  expect(await movedCount(source)).toBeGreaterThan(movedBefore);
  await pusher.call('lpush', key, 'x');
  expect(await within(popped, 10_000, 'BLPOP')).toEqual([key, 'x']);
});

it('a pipeline holding a BLPOP: every command MOVED is re-sent in order to the new master', async () => {
  const key = '{blocking-moved-p}:list';
  const mark = '{blocking-moved-p}:mark';
  const { source, target, movedBefore } = await staleRouteTo(key);
  const results = redis.pipeline([
    ['set', mark, 'before'],
    ['blpop', key, 0],
    ['get', mark],
  ]);
  await blockedOn(target);
  expect(await movedCount(source)).toBeGreaterThan(movedBefore);
  await pusher.call('lpush', key, 'y');
  expect(await within(results, 10_000, 'the pipeline')).toEqual(['OK', [key, 'y'], 'before']);
  expect(await target.cli('get', mark)).toBe('before');
});

it('a blocking pipeline whose commands live on two masters: the one MOVED runs on its own master', async () => {
  // Two slots on different masters after the move: the pipeline is sent to the first key's
  // (stale) owner; the BLPOP of the other slot is answered MOVED there and re-sent.
  const first = '{blocking-moved-a}:list';
  const key = '{blocking-moved-b}:list';
  await pusher.call('rpush', first, '1', '2');
  const firstOwner = await ownerOf(hashSlot(first, 'utf8'));
  const { target } = await staleRouteTo(key, firstOwner);
  const movedBefore = await movedCount(firstOwner);
  const results = redis.pipeline([
    ['lpop', first],
    ['blpop', key, 0],
  ]);
  await blockedOn(target);
  expect(await movedCount(firstOwner)).toBeGreaterThan(movedBefore);
  await pusher.call('lpush', key, 'z');
  expect(await within(results, 10_000, 'the pipeline')).toEqual(['1', [key, 'z']]);
});

it('a pipeline holding a BLPOP during a migration: ASK, re-sent with ASKING to the importing master, answered after a push there', async () => {
  const key = '{blocking-ask}:list';
  const slot = hashSlot(key, 'utf8');
  await redis.call('get', key); // the map is loaded and names the current owner
  const { source, target, finish } = await startMigration(slot);
  try {
    const askBefore = await errorCount(source, 'ASK');
    const results = redis.pipeline([['blpop', key, 0]]);
    await blockedOn(target);
    expect(await errorCount(source, 'ASK')).toBeGreaterThan(askBefore);
    await pusher.call('lpush', key, 'w'); // ASK too: created on the importing master
    expect(await within(results, 10_000, 'the pipeline')).toEqual([[key, 'w']]);
  } finally {
    await finish();
  }
});
