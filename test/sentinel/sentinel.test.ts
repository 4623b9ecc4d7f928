import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startRedisSentinel, type RedisSentinelSetup, type RedisServer } from '../../lib/testing/index.js';
import { CommunicationError, PipelinedExceptions, Redis, RedisError, type RedisOptions } from '../../lib/core/index.js';
import { eventually } from '../helpers.js';

/**
 * One sentinel setup for the whole file (a master, a replica, three sentinels), with
 * passwords on both the data nodes and the sentinels. The failover tests run last and in
 * order: the first moves the master to the replica, the second kills it and fails back.
 */
const PASSWORD = 'master-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';
let setup: RedisSentinelSetup;

beforeAll(async () => {
  setup = await startRedisSentinel({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
}, 40_000);
afterAll(async () => {
  await setup?.stop();
});

function sentinelClient(extra: RedisOptions = {}): Redis {
  return new Redis({
    poolFactory: 'sentinel',
    addresses: setup.addresses,
    sentinelMaster: setup.masterName,
    password: PASSWORD,
    sentinelPassword: SENTINEL_PASSWORD,
    decoder: 'utf8',
    ...extra,
  });
}

const host = (s: RedisServer): [string, number] => ['127.0.0.1', s.port];

describe('discovery', () => {
  it('finds the master through the sentinels and lists the replica', async () => {
    await using redis = sentinelClient();
    expect(await redis.call('set', 'd:key', 'v')).toBe('OK');
    expect(await redis.call('get', 'd:key')).toBe('v');
    // Exclusive connections come from the master's pool too.
    await using tx = await redis.connection();
    expect(tx.address).toBe(`127.0.0.1:${setup.master.port}`);
    await tx.call('multi');
    await tx.call('incr', 'd:n');
    expect(await tx.call('exec')).toEqual([1]);
    expect(await redis.endpoints()).toEqual([
      { address: host(setup.master), type: 'master' },
      { address: host(setup.replica), type: 'replica' },
    ]);
  });

  it('works from a redis+sentinel:// URL', async () => {
    const sentinels = setup.addresses.map(([h, p]) => `${h}:${p}`).join(',');
    await using redis = Redis.fromUrl(`redis+sentinel://:${PASSWORD}@${sentinels}/${setup.masterName}/2?sentinelPassword=${SENTINEL_PASSWORD}&decoder=utf8`);
    await redis.call('set', 'u:key', 'db2');
    expect(await redis.call('config', 'get', 'port')).toEqual(['port', String(setup.master.port)]);
    expect(await setup.master.cli('-n', '2', 'GET', 'u:key')).toBe('db2');
  });

  it('skips a sentinel that is down (and speaks RESP3 to the master)', async () => {
    const down = await freePort();
    await using redis = sentinelClient({ addresses: [['127.0.0.1', down], ...setup.addresses], respVersion: 3 });
    expect(await redis.call('ping')).toBe('PONG');
    expect((await redis.endpoints())[0]).toEqual({ address: host(setup.master), type: 'master' });
  });

  it('authenticates to the sentinels with their own password, never leaking it', async () => {
    await using noAuth = sentinelClient({ sentinelPassword: undefined });
    const refused = await noAuth.call('ping').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CommunicationError);
    expect((refused as Error).message).toMatch(/NOAUTH/);

    await using wrong = sentinelClient({ sentinelPassword: 'not-the-password' });
    const wrongErr = (await wrong.call('ping').catch((err: unknown) => err)) as Error;
    expect(wrongErr).toBeInstanceOf(CommunicationError);
    expect(`${wrongErr.message} ${String(wrongErr.cause)}`).not.toContain('not-the-password');

    await using unknown = sentinelClient({ sentinelMaster: 'no-such-master' });
    await expect(unknown.call('ping')).rejects.toMatchObject({ code: 'ERR_SENTINEL_UNKNOWN_MASTER' });
  });
});

it('sends reads to the replica with readFrom: replica, writes to the master', async () => {
  await using redis = sentinelClient({ readFrom: 'replica' });
  expect(await redis.call('set', 'r:key', 'replicated')).toBe('OK');
  expect(await redis.call('wait', 1, 2000)).toBe(1);
  await Promise.all([setup.master.cli('CONFIG', 'RESETSTAT'), setup.replica.cli('CONFIG', 'RESETSTAT')]);
  for (let i = 0; i < 10; i++) expect(await redis.call('get', 'r:key')).toBe('replicated');
  expect(await redis.pipeline([['get', 'r:key'], ['strlen', 'r:key']])).toEqual(['replicated', 10]);
  // A pipeline that writes stays on the master, so it reads its own write.
  expect(await redis.pipeline([['set', 'r:key2', 'x'], ['get', 'r:key2']])).toEqual(['OK', 'x']);
  const calls = (info: string, cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  const [onMaster, onReplica] = await Promise.all([setup.master.cli('INFO', 'commandstats'), setup.replica.cli('INFO', 'commandstats')]);
  expect(calls(onReplica, 'get')).toBe(11);
  expect(calls(onReplica, 'strlen')).toBe(1);
  expect(calls(onMaster, 'get')).toBe(1);
  expect(calls(onMaster, 'set')).toBe(1);
});

/**
 * Writes in a loop, each paired in one pipeline with CONFIG GET port, so every successful
 * INCR says which server ran it. Failed writes are kept to check their kind.
 */
function startWriter(redis: Redis, key: string) {
  const ok: { at: number; port: number }[] = [];
  const errors: Error[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const [, port] = await redis.pipeline([['incr', key], ['config', 'get', 'port']]);
        ok.push({ at: Date.now(), port: Number(port[1]) });
      } catch (err) {
        errors.push(...(err instanceof PipelinedExceptions ? (err.results.filter((r) => r instanceof Error) as Error[]) : [err as Error]));
      }
      await sleep(5);
    }
  })();
  return {
    ok,
    errors,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

type Writer = ReturnType<typeof startWriter>;

/** Milliseconds from `since` to the first write the new master ran; every later write ran there too. */
async function resumedOn(writer: Writer, server: RedisServer, since: number, label: string): Promise<number> {
  const first = (await eventually(() => writer.ok.find((w) => w.at >= since && w.port === server.port) ?? false, 15_000, 10)) as Writer['ok'][number];
  await sleep(200);
  await writer.stop();
  const ms = first.at - since;
  const stale = writer.ok.filter((w) => w.at > first.at && w.port !== server.port);
  console.log(`${label}: writes resumed on the new master (:${server.port}) after ${ms} ms; ${writer.errors.length} write(s) failed: ${writer.errors.map((e) => `${e.name} ${(e as RedisError).code}`).join(', ') || 'none'}`);
  expect(stale).toEqual([]);
  // Only writes in flight on the old master may fail, and only as I/O errors.
  for (const error of writer.errors) expect(error).toBeInstanceOf(CommunicationError);
  return ms;
}

describe('failover', () => {
  it('moves writes to the new master within seconds of SENTINEL FAILOVER', async () => {
    await using redis = sentinelClient();
    const writer = startWriter(redis, 'f:count');
    await eventually(() => writer.ok.length >= 10);
    const since = Date.now();
    expect(await setup.sentinels[0].cli('SENTINEL', 'FAILOVER', setup.masterName)).toBe('OK');
    const ms = await resumedOn(writer, setup.replica, since, 'SENTINEL FAILOVER');
    expect(ms).toBeLessThan(10_000);
    expect((await redis.endpoints())[0]).toEqual({ address: host(setup.replica), type: 'master' });
  }, 20_000);

  it('moves writes to the new master within seconds of the master being killed', async () => {
    // The old master is reconfigured by the sentinels only after ~10 s; do it now so it can
    // be promoted back, and wait until every sentinel names the new master.
    await setup.master.cli('REPLICAOF', '127.0.0.1', String(setup.replica.port));
    await eventually(async () => /master_link_status:up/.test(await setup.master.cli('INFO', 'replication')), 10_000, 50);
    await eventually(async () => {
      const views = await Promise.all(setup.sentinels.map((s) => s.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', setup.masterName)));
      return views.every((v) => v.endsWith(`\n${setup.replica.port}`));
    }, 10_000, 100);

    await using redis = sentinelClient();
    const writer = startWriter(redis, 'k:count');
    await eventually(() => writer.ok.length >= 10);
    const since = Date.now();
    await setup.replica.kill();
    const ms = await resumedOn(writer, setup.master, since, 'master killed');
    expect(ms).toBeLessThan(15_000);
    expect((await redis.endpoints())[0]).toEqual({ address: host(setup.master), type: 'master' });
  }, 30_000);

  it('keeps following the master after the sentinel it listened to dies', async () => {
    // The replica killed above comes back as a replica of the current master.
    await setup.replica.restart();
    await eventually(async () => /master_link_status:up/.test(await setup.replica.cli('INFO', 'replication')), 10_000, 50);
    await eventually(async () => {
      const views = await Promise.all(setup.sentinels.map((s) => s.cli('SENTINEL', 'REPLICAS', setup.masterName)));
      return views.every((v) => v.includes(String(setup.replica.port)) && !/s_down|disconnected/.test(v));
    }, 10_000, 100);

    await using redis = sentinelClient();
    await redis.call('ping');
    // The sentinel holding this client's event subscription (SUBSCRIBE to 5 channels).
    const listening = async () => {
      const lists = await Promise.all(setup.sentinels.map((s) => (s.running ? s.cli('CLIENT', 'LIST') : Promise.resolve(''))));
      return setup.sentinels.filter((_, i) => / sub=5 /.test(lists[i]));
    };
    const listener = async () => {
      const found = await eventually(async () => {
        const servers = await listening();
        return servers.length === 1 ? servers[0] : false;
      });
      return found as RedisServer;
    };
    const watched = await listener();
    await watched.kill();
    const next = await listener();
    expect(next).not.toBe(watched);

    const writer = startWriter(redis, 's:count');
    await eventually(() => writer.ok.length >= 10);
    const since = Date.now();
    expect(await next.cli('SENTINEL', 'FAILOVER', setup.masterName)).toBe('OK');
    // The old master keeps accepting writes until the sentinels reconfigure it (~10 s later):
    // only the +switch-master message can move the client this early.
    const ms = await resumedOn(writer, setup.replica, since, 'SENTINEL FAILOVER, listening sentinel killed before');
    expect(ms).toBeLessThan(6_000);
  }, 30_000);
});
