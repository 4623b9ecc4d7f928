import { redisServerAvailable } from './availability.js';
import { pollUntil } from './probe.js';
import { parseInfo, parsePairs } from './redis-cli.js';
import { startLocalRedisServer } from './redis-server.js';
import { configLine } from './server-config.js';
import type { RedisSentinelOptions, RedisSentinelSetup, RedisServer } from './types.js';

const HOST = '127.0.0.1';

/** Resolves once the master reports the replica online and the replica's link is up. */
async function waitForReplication(master: RedisServer, replica: RedisServer, deadline: number): Promise<void> {
  let state = 'no INFO yet';
  await pollUntil(
    async () => {
      const [m, r] = await Promise.all([master.cli('INFO', 'replication'), replica.cli('INFO', 'replication')]);
      const mi = parseInfo(m);
      const ri = parseInfo(r);
      state = `master connected_slaves=${mi.get('connected_slaves')} slave0=${mi.get('slave0')}, replica master_link_status=${ri.get('master_link_status')}`;
      return mi.get('slave0')?.includes('state=online') && ri.get('master_link_status') === 'up' ? true : undefined;
    },
    {
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 50,
      describe: (error) => `replica did not sync with the master: ${state}${error ? ` (${String((error as Error).message ?? error)})` : ''}`,
    },
  );
}

/** Resolves once every sentinel sees the master, its replica and all the other sentinels. */
async function waitForSentinels(sentinels: RedisServer[], masterName: string, deadline: number): Promise<void> {
  const states = new Map<number, string>();
  await pollUntil(
    async () => {
      const views = await Promise.all(
        sentinels.map(async (sentinel) => {
          const fields = parsePairs(await sentinel.cli('SENTINEL', 'MASTER', masterName));
          const flags = fields.get('flags') ?? '?';
          const replicas = Number(fields.get('num-slaves') ?? 0);
          const others = Number(fields.get('num-other-sentinels') ?? 0);
          states.set(sentinel.port, `flags=${flags} num-slaves=${replicas} num-other-sentinels=${others}`);
          return flags === 'master' && replicas >= 1 && others >= sentinels.length - 1;
        }),
      );
      return views.every(Boolean) ? true : undefined;
    },
    {
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 100,
      describe: (error) =>
        `sentinels did not converge on master '${masterName}': ` +
        (states.size ? [...states].map(([port, state]) => `sentinel :${port} ${state}`).join('; ') : String((error as Error)?.message ?? error)),
    },
  );
}

/**
 * A master, a replica (`--replicaof`) and N `redis-server --sentinel` processes monitoring
 * it (quorum min(2, N), down-after-milliseconds 1000, failover-timeout 5000), so a
 * `pause()` or `kill()` of the master leads to a failover within a few seconds. Resolves
 * once every sentinel reports the master with its replica and the N-1 other sentinels; the
 * whole setup is bounded by `readyTimeoutMs` (30 s) and torn down again if it fails.
 * Needs the redis-server binary (no Docker fallback).
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelSetup> {
  if ((await redisServerAvailable()) !== 'binary') {
    throw new Error('startRedisSentinel needs the redis-server binary (apt-get install redis-server redis-tools)');
  }
  const masterName = options.masterName ?? 'mymaster';
  const count = options.sentinels ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`sentinels must be a positive integer, got ${count}`);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  const started: RedisServer[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
  try {
    const master = await startLocalRedisServer({ password: options.password });
    started.push(master);
    const replica = await startLocalRedisServer({
      password: options.password,
      args: ['--replicaof', HOST, String(master.port)],
    });
    started.push(replica);
    // Sentinels learn about replicas from the master's INFO, which they read when they
    // connect and then only every 10 s: start them after the replica is attached.
    await waitForReplication(master, replica, deadline);

    const config = [
      configLine('sentinel', 'monitor', masterName, HOST, String(master.port), String(Math.min(2, count))),
      configLine('sentinel', 'down-after-milliseconds', masterName, '1000'),
      configLine('sentinel', 'failover-timeout', masterName, '5000'),
    ];
    if (options.password !== undefined) config.push(configLine('sentinel', 'auth-pass', masterName, options.password));
    if (options.sentinelPassword !== undefined) config.push(configLine('sentinel', 'sentinel-pass', options.sentinelPassword));
    const sentinels = await Promise.all(
      Array.from({ length: count }, async () => {
        const sentinel = await startLocalRedisServer(
          { password: options.sentinelPassword },
          { name: 'sentinel', config, args: ['--sentinel'] },
        );
        started.push(sentinel);
        return sentinel;
      }),
    );
    await waitForSentinels(sentinels, masterName, deadline);
    return {
      master,
      replica,
      sentinels,
      masterName,
      addresses: sentinels.map((sentinel): [string, number] => [HOST, sentinel.port]),
      stop: stopAll,
      [Symbol.asyncDispose]: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
