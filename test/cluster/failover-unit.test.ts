import fc from 'fast-check';
import { ClusterRouter } from '../../lib/core/cluster/cluster-router.js';
import type { Topology } from '../../lib/core/cluster/topology.js';
import { SlotMap } from '../../lib/core/cluster/slot-map.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { resolveOptions } from '../../lib/core/options.js';
import { CommunicationError, RedisError, ReplyError } from '../../lib/core/errors.js';
import type { Pending } from '../../lib/core/transport/pending.js';
import type { ServerPool } from '../../lib/core/pool/server-pool.js';

/**
 * The failover wait against scripted fake nodes: which node is reachable, and what the
 * "cluster" answers to a topology refresh, is decided by the test.
 */
const SET_INFO = ['set', -3, ['write'], 1, 1, 1, [], [], [], []];
const GET_INFO = ['get', 2, ['readonly', 'fast'], 1, 1, 1, [], [], [], []];
const UTF8 = { decoder: 'utf8' as const, attributes: false };
const slot = hashSlot('k');

type Script = (args: string[]) => unknown;

class FakeNode {
  readonly key: string;
  readonly address: [string, number];
  readonly database = 0;
  readonly isClosed = false;
  readonly received: string[][] = [];
  /** Mirrors ServerPool.reachable: false while the reconnect gate is closed. */
  reachable = true;
  constructor(port: number, private readonly script: Script) {
    this.address = ['10.0.0.1', port];
    this.key = `10.0.0.1:${port}`;
  }
  send(pending: Pending): void {
    const args = pending.args.map(String);
    queueMicrotask(() => {
      if (args[0] === 'COMMAND') return pending.settle([GET_INFO, SET_INFO].filter((e) => args.slice(2).includes(e[0] as string)));
      if (!this.reachable) {
        pending.fail(new CommunicationError(`Could not connect to ${this.key}`, { code: 'ERR_CONNECT' }));
        return;
      }
      this.received.push(args);
      const reply = this.script(args);
      if (reply instanceof CommunicationError) pending.fail(reply);
      else pending.settle(reply);
    });
  }
}

/** A topology whose refresh installs whatever `owner()` says owns every slot now. */
function setup(first: FakeNode, options: Record<string, unknown> = {}) {
  let owner = first;
  const mapFor = (node: FakeNode) => SlotMap.from([{ master: node.address, replicas: [], ranges: [[0, 16383]] }], () => node as unknown as ServerPool);
  const topology = {
    map: mapFor(first),
    refreshes: 0,
    onChange: null as (() => void) | null,
    anyMaster: () => topology.map.shards[0].master,
    announced: () => owner,
    scheduleRefresh: () => {},
    natMapUnreachable: () => null, // no natMap
    refresh: async () => {
      topology.refreshes++;
      topology.map = mapFor(owner);
      topology.onChange?.();
    },
    close: async () => {},
  };
  const router = new ClusterRouter(topology as unknown as Topology, resolveOptions({ poolFactory: 'cluster', ...options }));
  return { router, topology, promote: (node: FakeNode) => void (owner = node) };
}

it('holds calls for an unreachable master, then sends each once to the promoted replica', async () => {
  const dead = new FakeNode(1, () => 'never');
  const replica = new FakeNode(2, (args) => `new master: ${args[0]} ${args[1]}`);
  // maxRedirections 1: without the wait, the second failed connect would end the call.
  const { router, topology, promote } = setup(dead, { maxRedirections: 1 });
  dead.reachable = false;
  const calls = [router.send(['SET', 'k', 'v'], UTF8, 0), router.send(['GET', 'k'], UTF8, 0), router.pipeline([['SET', 'k', 'w']], [UTF8], 0)];
  // Several watch refreshes go by with the dead node still named master: the calls wait.
  const waitFor = async (n: number) => {
    while (topology.refreshes < n) await new Promise((resolve) => setImmediate(resolve));
  };
  await waitFor(3);
  expect(replica.received).toEqual([]);
  promote(replica);
  expect(await Promise.all(calls)).toEqual(['new master: SET k', 'new master: GET k', ['new master: SET k']]);
  expect(replica.received).toEqual([['SET', 'k', 'v'], ['GET', 'k'], ['SET', 'k', 'w']]);
  // The dead node never got a call through (its connects failed), nothing was sent twice.
  expect(dead.received).toEqual([]);
  await router.close();
});

it('never re-sends a write whose connection died after it was written', async () => {
  const master = new FakeNode(1, () => new CommunicationError('Connection to 10.0.0.1:1 closed', { code: 'ERR_CONNECTION_CLOSED' }));
  const replica = new FakeNode(2, () => 'would be a second run');
  const { router, promote } = setup(master);
  promote(replica);
  const err = await router.send(['SET', 'k', 'v'], UTF8, 0).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CommunicationError);
  expect((err as CommunicationError).code).toBe('ERR_CONNECTION_CLOSED');
  expect(master.received).toHaveLength(1);
  expect(replica.received).toHaveLength(0);
  await router.close();
});

it('fails a held call after failoverWait with the error that held it', async () => {
  const dead = new FakeNode(1, () => 'loaded');
  const { router, topology } = setup(dead, { failoverWait: 250 });
  // Command info loaded while the node was up (COMMAND INFO itself would wait too).
  await router.send(['SET', 'x', 'v'], UTF8, 0);
  dead.reachable = false;
  const err = await router.send(['SET', 'k', 'v'], UTF8, 0).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CommunicationError);
  expect((err as CommunicationError).code).toBe('ERR_CONNECT');
  expect((err as Error).message).toMatch(/SET waited 250 ms \(failoverWait\) for hash slot \d+ to be served again; last: 10.0.0.1:1 is unreachable/);
  expect(topology.refreshes).toBeGreaterThanOrEqual(1);

  const { router: impatient } = setup(dead, { failoverWait: 0 });
  // Keyless (COMMAND INFO on any master): held like the rest, here not at all.
  expect((await impatient.send(['GET', 'k'], UTF8, 0).catch((e: unknown) => e) as Error).message).toMatch(/COMMAND waited 0 ms \(failoverWait\) for a master/);
  expect(((await impatient.send(['GET', 'k'], UTF8, 0).catch((e: unknown) => e)) as RedisError).code).toBe('ERR_CONNECT');
  await Promise.all([router.close(), impatient.close()]);
});

it('releases held calls when the unreachable master answers again (restart, no failover)', async () => {
  const node = new FakeNode(1, (args) => (args[0] === 'PING' ? 'PONG' : 'back'));
  node.reachable = false;
  const { router } = setup(node);
  const call = router.send(['SET', 'k', 'v'], UTF8, 0);
  // The watch probes the dead master with PING (through its reconnect gate); it answers once up.
  setTimeout(() => (node.reachable = true), 150);
  expect(await call).toBe('back');
  expect(node.received.filter((c) => c[0] === 'SET')).toHaveLength(1);
  await router.close();
});

it('waits out CLUSTERDOWN without spending maxRedirections, bounded by failoverWait', async () => {
  let down = 4;
  const node = new FakeNode(1, () => (down-- > 0 ? new ReplyError('CLUSTERDOWN The cluster is down') : 'up again'));
  const { router } = setup(node, { maxRedirections: 1 });
  expect(await router.send(['SET', 'k', 'v'], UTF8, 0)).toBe('up again');

  const stuck = new FakeNode(2, () => new ReplyError('CLUSTERDOWN The cluster is down'));
  const { router: bounded } = setup(stuck, { failoverWait: 200 });
  const err = await bounded.send(['SET', 'k', 'v'], UTF8, 0).catch((e: unknown) => e);
  expect((err as RedisError).code).toBe('ERR_CLUSTER_FAILOVER_WAIT');
  expect((err as Error).message).toMatch(/CLUSTERDOWN/);
  await Promise.all([router.close(), bounded.close()]);
});

it('after READONLY from a demoted master, refreshes at once and re-sends to the new master', async () => {
  const demoted = new FakeNode(1, () => new ReplyError("READONLY You can't write against a read only replica."));
  const promoted = new FakeNode(2, () => 'OK');
  const { router, topology, promote } = setup(demoted);
  promote(promoted);
  expect(await router.send(['SET', 'k', 'v'], UTF8, 0)).toBe('OK');
  expect(topology.refreshes).toBe(1);
  expect(demoted.received).toEqual([['SET', 'k', 'v']]);
  expect(promoted.received).toEqual([['SET', 'k', 'v']]);
  expect(topology.map.masterFor(slot)).toBe(promoted);
  await router.close();
});

it('fails held calls when the client closes', async () => {
  const dead = new FakeNode(1, () => 'never');
  dead.reachable = false;
  const { router } = setup(dead);
  const call = router.send(['SET', 'k', 'v'], UTF8, 0).catch((e: unknown) => e);
  await new Promise((resolve) => setImmediate(resolve));
  await router.close();
  expect(((await call) as RedisError).code).toBe('ERR_CLIENT_CLOSED');
});

it('validates failoverWait: a finite timer delay', () => {
  expect(resolveOptions({ poolFactory: 'cluster' }).failoverWait).toBe(10_000);
  expect(resolveOptions({ poolFactory: 'cluster', socketTimeout: 3000 }).failoverWait).toBe(3000);
  expect(resolveOptions({ poolFactory: 'cluster', socketTimeout: 3000, failoverWait: 500 }).failoverWait).toBe(500);
  for (const bad of [-1, 1.5, Infinity, 2 ** 31]) expect(() => resolveOptions({ poolFactory: 'cluster', failoverWait: bad })).toThrow(RangeError);
  expect(() => resolveOptions({ poolFactory: 'cluster', failoverWait: '5' as unknown as number })).toThrow(TypeError);
});

it("asks the dead master's replicas for their ROLE and routes to the one that was promoted at once", async () => {
  let promoted = false;
  const replica = new FakeNode(2, (args) => (args[0] === 'ROLE' ? (promoted ? ['master', 0, []] : ['slave', '10.0.0.1', 1, 'connect', -1]) : 'from the new master'));
  const dead = new FakeNode(1, () => 'never');
  const { router, topology, promote } = setup(dead, { maxRedirections: 1 });
  await router.send(['SET', 'warm', 'v'], UTF8, 0).catch(() => {});
  // The map as the cluster reports it before the promotion: the dead master and its replica.
  const before = SlotMap.from([{ master: dead.address, replicas: [replica.address], ranges: [[0, 16383]] }], (hp) => (hp[1] === 1 ? dead : replica) as unknown as ServerPool);
  topology.map = before;
  // The other nodes have not heard of the promotion yet: only the promoted replica's own view has it.
  topology.refresh = async () => {
    topology.refreshes++;
    topology.map = before;
    topology.onChange?.();
  };
  const promotions: [FakeNode, FakeNode][] = [];
  (topology as unknown as { promoted: (m: FakeNode, r: FakeNode) => Promise<void> }).promoted = async (master, pool) => {
    promotions.push([master, pool]);
    topology.map.promote(master as unknown as ServerPool, pool as unknown as ServerPool);
    topology.onChange?.();
  };
  dead.reachable = false;
  const call = router.send(['SET', 'k', 'v'], UTF8, 0);
  while (replica.received.filter((c) => c[0] === 'ROLE').length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(promotions).toEqual([]);
  promoted = true;
  expect(await call).toBe('from the new master');
  expect(promotions).toEqual([[dead, replica]]);
  expect(topology.map.masterFor(slot)).toBe(replica);
  expect(replica.received.filter((c) => c[0] === 'SET')).toEqual([['SET', 'k', 'v']]);
  await router.close();
});

it('SlotMap.promote hands a shard and all its slots to the replica, once, and names those slots', () => {
  const map = SlotMap.from(
    [
      { master: ['h', 1], replicas: [['h', 2], ['h', 3]], ranges: [[0, 99]] },
      { master: ['h', 4], replicas: [], ranges: [[100, 16383]] },
    ],
    (hp) => hp[1],
  );
  expect(map.promote(1, 2)).toEqual(Array.from({ length: 100 }, (_, slot) => slot));
  expect(map.masterFor(0)).toBe(2);
  expect(map.masterFor(99)).toBe(2);
  expect(map.shardFor(50)!.replicas).toEqual([3]);
  expect(map.masterFor(100)).toBe(4);
  expect(map.masters()).toEqual([2, 4]);
  // Already promoted, or not a master: nothing changes.
  expect(map.promote(1, 3)).toEqual([]);
  expect(map.promote(2, 4)).toEqual([]);
  expect(map.masterFor(0)).toBe(2);
});

/**
 * Model: any interleaving of calls, a master dying, a replica being promoted and a dead
 * master coming back. Whatever happens, every call settles exactly once, reaches at most one
 * node at most once (nothing is ever sent twice), is never written to a node while it is
 * unreachable, and settles within failoverWait (plus a tick) of its start.
 */
it('model: calls through deaths, promotions and returns are sent at most once and always settle', async () => {
  type Step = { kind: 'call' } | { kind: 'kill' } | { kind: 'promote' } | { kind: 'revive' } | { kind: 'pause'; ms: number };
  const step = fc.oneof(
    fc.constant<Step>({ kind: 'call' }),
    fc.constant<Step>({ kind: 'kill' }),
    fc.constant<Step>({ kind: 'promote' }),
    fc.constant<Step>({ kind: 'revive' }),
    fc.integer({ min: 0, max: 60 }).map<Step>((ms) => ({ kind: 'pause', ms })),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
      const WAIT = 300;
      const writes = new Map<string, string[]>(); // key -> nodes that ran it
      const makeNode = (port: number) => {
        const node: FakeNode = new FakeNode(port, (args) => {
          if (args[0] === 'PING' || args[0] === 'ROLE') return args[0] === 'PING' ? 'PONG' : ['slave'];
          const ran = writes.get(args[1]) ?? [];
          ran.push(node.key);
          writes.set(args[1], ran);
          return 'OK';
        });
        return node;
      };
      const nodes = [makeNode(1), makeNode(2), makeNode(3)];
      const { router, promote } = setup(nodes[0], { failoverWait: WAIT, maxRedirections: 2 });
      await router.send(['SET', 'warm', 'v'], UTF8, 0);
      writes.clear();
      let master = 0;
      const calls: { key: string; started: number; settled: number; ok: boolean; count: number }[] = [];
      const pending: Promise<void>[] = [];
      for (const s of steps) {
        if (s.kind === 'call') {
          const call = { key: `k${calls.length}`, started: Date.now(), settled: 0, ok: false, count: 0 };
          calls.push(call);
          pending.push(
            router.send(['SET', call.key, 'v'], UTF8, 0).then(
              () => void ((call.settled = Date.now()), (call.ok = true), call.count++),
              () => void ((call.settled = Date.now()), call.count++),
            ),
          );
        } else if (s.kind === 'kill') nodes[master].reachable = false;
        else if (s.kind === 'revive') nodes[master].reachable = true;
        else if (s.kind === 'promote') {
          master = (master + 1) % nodes.length;
          nodes[master].reachable = true;
          promote(nodes[master]);
        } else await new Promise((resolve) => setTimeout(resolve, s.ms));
      }
      await Promise.all(pending);
      await router.close();
      for (const call of calls) {
        const ran = writes.get(call.key) ?? [];
        expect(call.count).toBe(1);
        expect(ran.length).toBeLessThanOrEqual(1);
        // Acknowledged means it ran (once); failed means it never reached a node (ERR_CONNECT / wait over).
        expect(ran.length).toBe(call.ok ? 1 : 0);
        expect(call.settled - call.started).toBeLessThan(WAIT + 400);
      }
    }),
    { numRuns: 25 },
  );
}, 60_000);
