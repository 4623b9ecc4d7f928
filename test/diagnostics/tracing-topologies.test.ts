import diagnostics_channel from 'node:diagnostics_channel';
import { startRedisCluster, startRedisSentinel, type RedisClusterSetup, type RedisSentinelSetup, type RedisServer } from '../../lib/testing/index.js';
import { Redis, COMMAND_CHANNEL, type CommandContext } from '../../lib/core/index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';

/** Contexts of every asyncEnd while `run` runs (the context is complete by then). */
async function settledContexts(run: () => Promise<unknown>): Promise<{ starts: number; ends: CommandContext[] }> {
  const channel = diagnostics_channel.tracingChannel<CommandContext, CommandContext>(COMMAND_CHANNEL);
  const ends: CommandContext[] = [];
  let starts = 0;
  const handlers = { start: () => void starts++, asyncEnd: (c: CommandContext) => void ends.push({ ...c }) };
  channel.subscribe(handlers as never);
  try {
    await run();
  } finally {
    channel.unsubscribe(handlers as never);
  }
  return { starts, ends };
}

describe('cluster', () => {
  let cluster: RedisClusterSetup;
  let redis: Redis;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  }, 60_000);
  afterAll(async () => {
    await redis?.close();
    await cluster?.stop();
  });

  /** The master owning `key`, as the cluster itself says. */
  async function ownerOf(key: string): Promise<RedisServer> {
    const slot = hashSlot(key);
    const ranges = (await redis.call('cluster', 'slots')) as [number, number, [string, number]][];
    const range = ranges.find(([first, last]) => slot >= first && slot <= last)!;
    return (await cluster.masters()).find((m) => m.port === range[2][1])!;
  }

  it('reports the node that answered each call, for keys on different masters', async () => {
    const keys = ['dc:{a}', 'dc:{b}', 'dc:{c}', 'dc:{d}', 'dc:{e}'];
    await redis.call('ping'); // topology discovered before the subscriber starts counting
    const { starts, ends } = await settledContexts(async () => {
      for (const key of keys) await redis.call('set', key, 'v');
    });
    expect(starts).toBe(keys.length);
    expect(ends).toHaveLength(keys.length);
    const owners = await Promise.all(keys.map(ownerOf));
    expect(new Set(owners.map((o) => o.port)).size).toBeGreaterThan(1);
    ends.forEach((context, i) => {
      expect(context).toMatchObject({ command: 'SET', args: [keys[i], 'v'], database: 0, serverAddress: owners[i].host, serverPort: owners[i].port, redirects: 0 });
    });
  });

  it('after a MOVED, reports the node the redirect led to and counts the redirect', async () => {
    const key = 'dc:{moved}';
    const slot = hashSlot(key);
    expect(await redis.call('get', key)).toBeNull(); // the client's map now points at the current owner
    const source = await ownerOf(key);
    const target = (await cluster.masters()).find((m) => m.port !== source.port)!;
    const targetId = (await target.cli('cluster', 'myid')).trim();
    // The slot is empty: it can be handed over directly; the client's map is now stale.
    for (const node of await cluster.masters()) await node.cli('cluster', 'setslot', String(slot), 'node', targetId);
    const { ends } = await settledContexts(() => redis.call('set', key, 'moved'));
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ command: 'SET', serverAddress: target.host, serverPort: target.port, redirects: 1, result: 'OK' });
    expect(await target.cli('get', key)).toBe('moved');
  });

  it('publishes one event for a pipeline spread over several nodes', async () => {
    const { starts, ends } = await settledContexts(() => redis.pipeline([['set', 'dc:{a}', '1'], ['set', 'dc:{b}', '2'], ['get', 'dc:{c}']]));
    expect(starts).toBe(1);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ command: 'PIPELINE', batchSize: 3, result: ['OK', 'OK', 'v'] });
    expect(typeof ends[0].serverPort).toBe('number');
  });
});

describe('sentinel', () => {
  let setup: RedisSentinelSetup;
  beforeAll(async () => {
    setup = await startRedisSentinel({});
  }, 40_000);
  afterAll(async () => {
    await setup?.stop();
  });

  it('reports the master the sentinels named', async () => {
    await using redis = new Redis({ poolFactory: 'sentinel', addresses: setup.addresses, sentinelMaster: setup.masterName, decoder: 'utf8' });
    await redis.call('ping');
    const { starts, ends } = await settledContexts(async () => {
      await redis.call('set', 'dc:s', '1');
      await redis.modify({ database: 2 }).call('get', 'dc:s');
    });
    const master = (await redis.endpoints()).find((e) => e.type === 'master')!.address as [string, number];
    expect(starts).toBe(2);
    expect(ends[0]).toMatchObject({ command: 'SET', database: 0, serverAddress: master[0], serverPort: master[1], result: 'OK' });
    expect(ends[1]).toMatchObject({ command: 'GET', database: 2, serverAddress: master[0], serverPort: master[1], result: null });
  });
});
