import { ClusterRouter } from '../../lib/core/cluster/cluster-router.js';
import type { Topology } from '../../lib/core/cluster/topology.js';
import { SlotMap } from '../../lib/core/cluster/slot-map.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { resolveOptions } from '../../lib/core/options.js';
import { CommunicationError, RedisError, ReplyError } from '../../lib/core/errors.js';
import type { Pending } from '../../lib/core/transport/pending.js';
import type { ServerPool } from '../../lib/core/pool/server-pool.js';

/**
 * The redirect machinery against scripted fake nodes: every reply is decided by the test,
 * so MOVED, ASK, TRYAGAIN, holes and unreachable nodes happen exactly when wanted.
 */
const GET_INFO = ['get', 2, ['readonly', 'fast'], 1, 1, 1, [], [], [], []];
const SET_INFO = ['set', -3, ['write'], 1, 1, 1, [], [], [], []];

type Script = (args: string[], node: FakeNode) => unknown;

class FakeNode {
  readonly key: string;
  readonly address: [string, number];
  readonly received: string[][] = [];
  constructor(port: number, private readonly script: Script) {
    this.address = ['10.0.0.1', port];
    this.key = `10.0.0.1:${port}`;
  }
  send(pending: Pending): void {
    const args = pending.args.map(String);
    this.received.push(args);
    queueMicrotask(() => {
      if (args[0] === 'COMMAND') return pending.settle([GET_INFO, SET_INFO].filter((e) => args.slice(2).includes(e[0] as string)));
      if (args[0] === 'ASKING') return pending.settle('OK');
      const reply = this.script(args, this);
      if (reply instanceof CommunicationError) pending.fail(reply);
      else pending.settle(reply);
    });
  }
}

function setup(nodes: FakeNode[], options: { maxRedirections?: number } = {}) {
  const refreshes: number[] = [];
  const topology = {
    map: SlotMap.from([{ master: nodes[0].address, replicas: [], ranges: [[0, 16383]] }], () => nodes[0] as unknown as ServerPool),
    anyMaster: () => nodes[0],
    announced: (_host: string, port: number) => nodes.find((n) => n.address[1] === port)!,
    scheduleRefresh: () => refreshes.push(Date.now()),
    natMapUnreachable: () => null, // no natMap
    assign: (slot: number, pool: ServerPool) => void topology.map.assign(slot, pool),
    asked: () => {},
    endpoint: () => nodes[0],
    nodes: () => [],
    close: async () => {},
  };
  const router = new ClusterRouter(topology as unknown as Topology, resolveOptions({ poolFactory: 'cluster', maxRedirections: options.maxRedirections }));
  return { router, topology, refreshes };
}

const UTF8 = { decoder: 'utf8' as const, attributes: false };
const slot = hashSlot('k');

it('follows MOVED, updates the map at once and asks for one refresh', async () => {
  const b = new FakeNode(2, () => 'from b');
  const a = new FakeNode(1, () => new ReplyError(`MOVED ${slot} 10.0.0.1:2`));
  const { router, topology, refreshes } = setup([a, b]);
  expect(await router.send(['GET', 'k'], UTF8, 0)).toBe('from b');
  expect(topology.map.masterFor(slot)).toBe(b);
  expect(refreshes).toHaveLength(1);
  // The next call goes straight to the new owner.
  expect(await router.send(['GET', 'k'], UTF8, 0)).toBe('from b');
  expect(a.received.filter((c) => c[0] === 'GET')).toHaveLength(1);
});

it('follows ASK with ASKING right before the command, without changing the map', async () => {
  const b = new FakeNode(2, (args) => `b:${args[1]}`);
  const a = new FakeNode(1, (args) => (args[1] === 'k' ? new ReplyError(`ASK ${slot} 10.0.0.1:2`) : `a:${args[1]}`));
  const { router, topology } = setup([a, b]);
  const results = await router.pipeline([['GET', 'k'], ['GET', 'other'], ['SET', 'k', 'v']], [UTF8, UTF8, UTF8], 0);
  expect(results).toEqual(['b:k', 'a:other', 'b:k']);
  expect(b.received).toEqual([['ASKING'], ['GET', 'k'], ['ASKING'], ['SET', 'k', 'v']]);
  expect(topology.map.masterFor(slot)).toBe(a);
});

it('retries TRYAGAIN and CLUSTERDOWN with backoff', async () => {
  let n = 0;
  const a = new FakeNode(1, () => (++n === 1 ? new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot') : n === 2 ? new ReplyError('CLUSTERDOWN The cluster is down') : 'finally'));
  const { router, refreshes } = setup([a]);
  expect(await router.send(['GET', 'k'], UTF8, 0)).toBe('finally');
  expect(n).toBe(3);
  expect(refreshes.length).toBeGreaterThanOrEqual(1); // CLUSTERDOWN asks for a refresh
});

it('gives up past maxRedirections with ERR_CLUSTER_REDIRECTIONS, in a pipeline only for that command', async () => {
  const b = new FakeNode(2, (args) => (args[1] === 'k' ? new ReplyError(`MOVED ${slot} 10.0.0.1:1`) : 'ok'));
  const a = new FakeNode(1, (args) => (args[1] === 'k' ? new ReplyError(`MOVED ${slot} 10.0.0.1:2`) : 'ok'));
  const { router } = setup([a, b], { maxRedirections: 3 });
  const err = await router.send(['GET', 'k'], UTF8, 0).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RedisError);
  expect((err as RedisError).code).toBe('ERR_CLUSTER_REDIRECTIONS');
  expect((err as Error).message).toMatch(/GET was redirected or retried 3 times .*MOVED/);
  const results = await router.pipeline([['GET', 'k'], ['GET', 'fine']], [UTF8, UTF8], 0);
  expect((results[0] as RedisError).code).toBe('ERR_CLUSTER_REDIRECTIONS');
  expect(results[1]).toBe('ok');
});

it('waits out a hole in the slot map until a refresh fills it', async () => {
  const a = new FakeNode(1, () => 'served');
  const { router, topology, refreshes } = setup([a]);
  topology.map = SlotMap.from([{ master: a.address, replicas: [], ranges: [[0, slot - 1]] }], () => a as unknown as ServerPool);
  setTimeout(() => topology.map.assign(slot, a as unknown as ServerPool), 60);
  expect(await router.send(['GET', 'k'], UTF8, 0)).toBe('served');
  expect(refreshes.length).toBeGreaterThanOrEqual(1);

  topology.map = SlotMap.from([{ master: a.address, replicas: [], ranges: [[0, slot - 1]] }], () => a as unknown as ServerPool);
  const { router: bounded } = { router: new ClusterRouter(topology as unknown as Topology, resolveOptions({ poolFactory: 'cluster', maxRedirections: 2 })) };
  const err = await bounded.send(['GET', 'k'], UTF8, 0).catch((e: unknown) => e);
  expect((err as RedisError).code).toBe('ERR_CLUSTER_REDIRECTIONS');
  expect((err as Error).message).toMatch(/No cluster node serves hash slot/);
});

it('re-sends only what cannot run twice: never-connected calls and reads, not written writes', async () => {
  let fails = 2;
  const a = new FakeNode(1, (args) => {
    if (args[0] === 'GET' && fails-- > 0) return new CommunicationError('Connection to 10.0.0.1:1 closed', { code: 'ERR_CONNECTION_CLOSED' });
    if (args[0] === 'SET') return new CommunicationError('Connection to 10.0.0.1:1 closed', { code: 'ERR_CONNECTION_CLOSED' });
    return 'read';
  });
  const { router } = setup([a]);
  expect(await router.send(['GET', 'k'], UTF8, 0)).toBe('read');
  const err = await router.send(['SET', 'k', 'v'], UTF8, 0).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CommunicationError);
  expect(a.received.filter((c) => c[0] === 'SET')).toHaveLength(1);

  let refused = 1;
  const b = new FakeNode(1, () => (refused-- > 0 ? new CommunicationError('Could not connect', { code: 'ERR_CONNECT' }) : 'written once'));
  expect(await setup([b]).router.send(['SET', 'k', 'v'], UTF8, 0)).toBe('written once');
});
