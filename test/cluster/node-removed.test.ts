import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startRedisCluster, type RedisClusterSetup, type RedisServer } from '../../lib/testing/index.js';
import { CommunicationError, getRedisToken, JustRedisModule, NodeRemovedError, Redis, RedisSubscribe, TopologyChangedError, type RedisMessage } from '../../lib/index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { CapturingLogger, deadPort, eventually, within } from '../nest/nest-helpers.js';

/**
 * A cluster node that leaves the topology while it stays alive (scale-down: its slots move
 * away, then `redis-cli --cluster del-node` — CLUSTER FORGET on the others, CLUSTER RESET on
 * it), on a real 3-master cluster of this file's own. The tests run in order on it: the
 * first removes a node, the second adds that node back behind a natMap that sends it nowhere.
 */
let setup: RedisClusterSetup;

beforeAll(async () => {
  setup = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
}, 60_000);
afterAll(async () => {
  await setup?.stop();
});

const address = (node: RedisServer) => `127.0.0.1:${node.port}`;

/** `CLUSTER NODES` of `node`: the line of every node it knows. */
async function nodeLines(node: RedisServer): Promise<string[]> {
  return (await node.cli('CLUSTER', 'NODES')).split('\n').filter((line) => line.trim() !== '');
}

/** The slot ranges `node` serves, as it says itself. */
async function ownRanges(node: RedisServer): Promise<[number, number][]> {
  const mine = (await nodeLines(node)).find((line) => line.includes('myself'))!;
  return mine
    .trim()
    .split(' ')
    .slice(8)
    .filter((s) => !s.startsWith('['))
    .map((range) => {
      const [first, last = first] = range.split('-').map(Number);
      return [first, last];
    });
}

/** A key of `prefix` whose slot `node` serves. */
async function keyOn(node: RedisServer, prefix: string): Promise<string> {
  const ranges = await ownRanges(node);
  for (let i = 0; ; i++) {
    const slot = hashSlot(`${prefix}${i}`, 'utf8');
    if (ranges.some(([first, last]) => slot >= first && slot <= last)) return `${prefix}${i}`;
  }
}

/** Moves every slot of `victim` to `target` (keys too), then removes `victim`; it stays running, reset to a cluster of its own. */
async function scaleDown(victim: RedisServer, target: RedisServer): Promise<void> {
  const [victimId, targetId] = [await setup.nodeId(victim), await setup.nodeId(target)];
  const slots = (await ownRanges(victim)).reduce((n, [first, last]) => n + last - first + 1, 0);
  await setup.cli('--cluster', 'reshard', address(target), '--cluster-from', victimId, '--cluster-to', targetId, '--cluster-slots', String(slots), '--cluster-yes');
  await setup.cli('--cluster', 'del-node', address(target), victimId);
  // Every remaining node has forgotten it; it knows only itself.
  const others = setup.nodes.filter((node) => node !== victim);
  await eventually(async () => (await Promise.all(others.map(async (node) => (await nodeLines(node)).some((line) => line.startsWith(victimId))))).every((known) => !known), 10_000, 50);
  expect(await nodeLines(victim)).toHaveLength(1);
}

@Injectable()
class ScaleListener {
  readonly seen: string[] = [];

  @RedisSubscribe('scale.news')
  onNews(message: RedisMessage): void {
    this.seen.push(message.data);
  }
}

let victim: RedisServer;

it('ends push connections on a node that left the cluster with ERR_NODE_REMOVED, exclusive ones after the grace period, and @RedisSubscribe handlers keep receiving', async () => {
  const options = { addresses: setup.addresses, poolFactory: 'cluster' as const, decoder: 'utf8' as const };
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot(options)],
    providers: [ScaleListener],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await within(app.init(), 15_000, 'app.init()');
  const listener = app.get(ScaleListener);
  await using redis = new Redis(options);
  try {
    // The node the Nest subscriber is on leaves (PUBSUB NUMSUB counts a node's own subscribers).
    victim = await eventually(async () => {
      const counts = await Promise.all(setup.nodes.map(async (node) => (await node.cli('PUBSUB', 'NUMSUB', 'scale.news')).endsWith('\n1')));
      return setup.nodes[counts.indexOf(true)] ?? false;
    });
    const target = setup.nodes.find((node) => node !== victim)!;
    const key = await keyOn(victim, 'scale:');

    // A plain client's subscriber and exclusive connection on it.
    const push = await redis.connection({ push: true, key });
    expect(push.address).toBe(address(victim));
    await push.call('subscribe', 'scale.core');
    expect(await push.nextMessage()).toEqual(['subscribe', 'scale.core', 1]);
    const waiting = push.nextMessage();
    const exclusive = await redis.connection({ key });
    expect(exclusive.address).toBe(address(victim));
    expect(await exclusive.call('set', key, 'before')).toBe('OK');

    await scaleDown(victim, target);

    // Each client learns of it on its next call for one of the moved slots (the victim, reset,
    // answers CLUSTERDOWN; its own one-node view of the cluster is not believed).
    const nestRedis = app.get<Redis>(getRedisToken());
    expect(await within(redis.call('get', key), 10_000, 'GET after the scale-down')).toBe('before');
    expect(await within(nestRedis.call('get', key), 10_000, 'GET through the Nest client')).toBe('before');
    expect((await redis.endpoints()).map((e) => (e.address as [string, number])[1])).not.toContain(victim.port);
    // A client whose first seed is the reset node: its one-node view without slots is not believed.
    await using late = new Redis({ addresses: [['127.0.0.1', victim.port], ['127.0.0.1', target.port]], poolFactory: 'cluster', decoder: 'utf8' });
    expect(await within(late.call('get', key), 10_000, 'GET of a client seeded with the removed node')).toBe('before');
    expect((await late.endpoints()).map((e) => (e.address as [string, number])[1])).not.toContain(victim.port);

    const error = await within(
      waiting.then(
        () => null,
        (err: unknown) => err,
      ),
      5000,
      'the push connection to end',
    );
    expect(error).toBeInstanceOf(NodeRemovedError);
    expect(error).toBeInstanceOf(TopologyChangedError);
    expect(error).toBeInstanceOf(CommunicationError);
    expect(error).toMatchObject({ code: 'ERR_NODE_REMOVED', address: address(victim) });
    expect((error as Error).message).toBe(`Cluster node ${address(victim)} left the cluster's topology; this connection to it was closed`);
    expect(push.closed).toBe(true);
    // Iteration ends quietly only after close(): this is an error.
    await expect(push[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(NodeRemovedError);

    // The Nest handler is subscribed again, on a remaining node: a message published there reaches it.
    await eventually(
      async () => {
        await target.cli('PUBLISH', 'scale.news', 'after-scale-down');
        return listener.seen.includes('after-scale-down');
      },
      15_000,
      100,
    );
    expect(await victim.cli('PUBSUB', 'NUMSUB', 'scale.news')).toMatch(/\n0$/);
    expect(logger.find('warn', /pub\/sub connection to .* lost \(Cluster node .* left the cluster's topology/).length).toBe(1);
    expect(logger.find('log', /pub\/sub connection to .* restored, 1 subscription\(s\) renewed/).length).toBe(1);

    // The exclusive connection keeps its grace period (10 s, for replies in flight), then ends the same way.
    await eventually(
      async () => {
        const result = await exclusive.call('ping').catch((err: unknown) => err);
        return result instanceof NodeRemovedError;
      },
      20_000,
      200,
    );
    await exclusive.release();
  } finally {
    await within(app.close(), 10_000, 'app.close()');
  }
}, 90_000);

it('a master added later that natMap maps to an unreachable address fails its calls with ERR_NATMAP_UNREACHABLE at once, not after failoverWait', async () => {
  const dead = await deadPort();
  // Everything else maps to itself; the start-up check finds nothing wrong (the node is not in the cluster yet).
  await using mapped = new Redis({
    addresses: [setup.addresses.find(([, port]) => port !== victim.port)!],
    poolFactory: 'cluster',
    decoder: 'utf8',
    connectTimeout: 1000,
    natMap: (host, port) => (port === victim.port ? ['127.0.0.1', dead] : [host, port]),
  });
  expect(await mapped.call('ping')).toBe('PONG');

  // The removed node joins again as a new node (a hard reset gives it a new id: the others
  // refuse its old one for a minute after FORGET) and takes over the (empty) slot of one key.
  expect(await victim.cli('CLUSTER', 'RESET', 'HARD')).toBe('OK');
  const victimId = await setup.nodeId(victim);
  const member = setup.nodes.find((node) => node !== victim)!;
  // Its bus port is not port + 10000 here: read it from its own line (`ip:port@bus`).
  const busPort = /:\d+@(\d+)/.exec((await nodeLines(victim))[0])![1];
  expect(await member.cli('CLUSTER', 'MEET', '127.0.0.1', String(victim.port), busPort)).toBe('OK');
  const others = setup.nodes.filter((node) => node !== victim);
  // Every node, the newcomer too, knows all four by their ids, linked.
  const everyone = async (node: RedisServer) => {
    const lines = await nodeLines(node);
    return lines.length === setup.nodes.length && lines.some((l) => l.startsWith(victimId)) && lines.every((l) => l.includes(' connected') && !l.includes('handshake'));
  };
  await eventually(async () => (await Promise.all(setup.nodes.map(everyone))).every(Boolean), 15_000, 100);
  const key = 'natmap:later';
  const slot = hashSlot(key, 'utf8');
  // As redis-cli's reshard does it: IMPORTING/MIGRATING first, so the new owner bumps its
  // config epoch when it takes the slot (a fresh node's epoch 0 would lose to the old owner's).
  const owner = (await Promise.all(others.map(async (node) => ((await ownRanges(node)).some(([first, last]) => slot >= first && slot <= last) ? node : null)))).find((node) => node !== null)!;
  await victim.cli('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', await setup.nodeId(owner));
  await owner.cli('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', victimId);
  for (const node of [victim, owner, ...others.filter((n) => n !== owner)]) await node.cli('CLUSTER', 'SETSLOT', String(slot), 'NODE', victimId);
  await eventually(async () => (await ownRanges(victim)).some(([first, last]) => slot >= first && slot <= last), 5000, 50);

  // MOVED to the new node → natMap → nothing listens: the caller learns that, not a failover wait.
  const err = await within(mapped.call('get', key).catch((e: unknown) => e), 5000, 'GET of a key on the mis-mapped node');
  expect(err).toBeInstanceOf(CommunicationError);
  expect(err).toMatchObject({ code: 'ERR_NATMAP_UNREACHABLE' });
  expect((err as Error).message).toContain(`natMap maps a cluster node to an unreachable address: 127.0.0.1:${victim.port} (as the cluster announces it) → 127.0.0.1:${dead} (`);
  expect((err as Error).message).toMatch(/ECONNREFUSED/);
  // A second call finds the node's reconnect gate closed: the same answer, not a hold.
  const again = await within(mapped.call('get', key).catch((e: unknown) => e), 5000, 'a second GET');
  expect(again).toMatchObject({ code: 'ERR_NATMAP_UNREACHABLE' });
  // So do an exclusive connection for that key and a blocking command on it.
  await expect(within(mapped.connection({ key }), 5000, 'connection({ key })')).rejects.toMatchObject({ code: 'ERR_NATMAP_UNREACHABLE' });
  await expect(within(mapped.call('blpop', key, 1), 5000, 'BLPOP')).rejects.toMatchObject({ code: 'ERR_NATMAP_UNREACHABLE' });
  // And a pipeline holding a blocking command, which takes an exclusive connection of its own.
  await expect(within(mapped.pipeline([['get', key], ['blpop', key, 1]]), 5000, 'blocking pipeline')).rejects.toMatchObject({ code: 'ERR_NATMAP_UNREACHABLE' });
  // Keys elsewhere are unaffected, and so are keyless calls (any master will do: not the mis-mapped one).
  expect(await mapped.call('get', 'natmap:elsewhere{x}')).toBeNull();
  for (let i = 0; i < 8; i++) expect(await mapped.call('ping')).toBe('PONG');
}, 60_000);
