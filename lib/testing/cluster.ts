import { redisServerAvailable } from './availability.js';
import { freePort } from './free-port.js';
import { pollUntil } from './probe.js';
import { parseInfo, runRedisCli } from './redis-cli.js';
import { RedisProcessError } from './redis-process.js';
import { startLocalRedisServer } from './redis-server.js';
import type { TlsMaterial } from './tls-material.js';
import type { RedisServer } from './types.js';

export interface RedisClusterOptions {
  /** Masters (default 3, the least `redis-cli --cluster create` accepts). */
  masters?: number;
  /** Replicas of each master (default 1). */
  replicasPerMaster?: number;
  /** Every node speaks TLS only, the cluster bus and replication too (`tls-cluster`, `tls-replication`). */
  tls?: boolean;
  /** With `tls`: certificates whose only SAN is DNS:other.invalid. */
  tlsHostMismatch?: boolean;
  /** `cluster-node-timeout` (default 2000 ms: a killed master fails over in about 3 s). */
  nodeTimeoutMs?: number;
  /** Extra server arguments for every node. */
  args?: string[];
  /** Bound for the whole setup to converge (default 30 s). */
  readyTimeoutMs?: number;
}

export interface RedisClusterSetup {
  /** Every node, in creation order: the first `masters` were created as masters. */
  readonly nodes: RedisServer[];
  /** `[host, port]` of every node, for the client's `addresses`. */
  readonly addresses: [string, number][];
  /** `redis://h:p1,h:p2,...` (`rediss://` with TLS). */
  readonly url: string;
  readonly tls?: TlsMaterial;
  /** The current masters (roles change after a failover), asked of a running node. */
  masters(): Promise<RedisServer[]>;
  /** The current replicas. */
  replicas(): Promise<RedisServer[]>;
  /** A node's cluster id. */
  nodeId(node: RedisServer): Promise<string>;
  /** redis-cli against the first running node, e.g. `cli('--cluster', 'reshard', ...)`. */
  cli(...args: string[]): Promise<string>;
  /** Resolves once every running node reports `cluster_state:ok` and all agree on the slots. */
  waitForAgreement(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** One cluster node on a free client port and a free bus port (`cluster-port`), retried on a port race. */
async function startNode(options: RedisClusterOptions): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const busPort = await freePort();
    try {
      return await startLocalRedisServer(
        { tls: options.tls, tlsHostMismatch: options.tlsHostMismatch, args: options.args },
        {
          name: 'cluster node',
          args: [
            '--cluster-enabled', 'yes',
            // Relative to the server's own temp dir (its cwd and --dir).
            '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000),
            '--cluster-port', String(busPort),
            ...(options.tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : []),
          ],
        },
      );
    } catch (error) {
      // The bus port can be taken between freePort() and the bind, like the client port.
      if (!(error instanceof RedisProcessError && error.portInUse) || attempt >= 5) throw error;
    }
  }
}

/** `CLUSTER NODES` as seen by one node: one entry per node. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  master: string;
  link: string;
  slots: string;
}

function parseClusterNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, master, , , , link, ...slots] = line.trim().split(' ');
      const port = Number(address.split('@')[0].split(':').pop());
      return { id, port, flags: flags.split(','), master, link, slots: slots.filter((s) => !s.startsWith('[')).join(' ') };
    });
}

/**
 * A Redis Cluster of real `redis-server --cluster-enabled yes` processes on free ports:
 * `masters × (1 + replicasPerMaster)` nodes joined with `redis-cli --cluster create`.
 * Resolves once every node reports `cluster_state:ok`, all agree on who serves which slots,
 * and every replica's replication link is up; bounded by `readyTimeoutMs` and torn down
 * again if it fails. Needs the redis-server binary (no Docker fallback).
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterSetup> {
  if ((await redisServerAvailable()) !== 'binary') {
    throw new Error('startRedisCluster needs the redis-server binary (apt-get install redis-server redis-tools)');
  }
  const masterCount = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  if (!Number.isInteger(masterCount) || masterCount < 3) throw new RangeError(`masters must be an integer >= 3, got ${masterCount}`);
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError(`replicasPerMaster must be an integer >= 0, got ${replicas}`);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);

  const settled = await Promise.allSettled(Array.from({ length: masterCount * (1 + replicas) }, () => startNode(options)));
  const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }

  const first = () => nodes.find((node) => node.running) ?? nodes[0];
  const cli = (...args: string[]) => {
    const node = first();
    return runRedisCli({ host: node.host, port: node.port, tls: node.tls }, args, 60_000);
  };
  const byPort = (port: number) => nodes.find((node) => node.port === port);
  const view = async () => parseClusterNodes(await first().cli('cluster', 'nodes'));
  const withRole = async (role: 'master' | 'slave') =>
    (await view())
      .filter((n) => n.flags.includes(role) && !n.flags.includes('fail'))
      .map((n) => byPort(n.port))
      .filter((node): node is RedisServer => node !== undefined && node.running);

  const waitForAgreement = async (timeoutMs = 20_000) => {
    let state = 'not asked yet';
    await pollUntil(
      async () => {
        const running = nodes.filter((node) => node.running);
        const views = await Promise.all(
          running.map(async (node) => {
            const info = parseInfo(await node.cli('cluster', 'info'));
            // Nodes marked failed (killed on purpose) are left out; every other must be settled.
            const lines = parseClusterNodes(await node.cli('cluster', 'nodes')).filter((l) => !l.flags.includes('fail'));
            const settledView = lines.every((l) => l.link === 'connected' && !l.flags.some((f) => f === 'handshake' || f === 'noaddr' || f === 'fail?'));
            const signature = lines
              .map((l) => `${l.id} ${l.flags.filter((f) => f !== 'myself').join(',')} ${l.master} ${l.slots}`)
              .sort()
              .join('\n');
            return { ok: info.get('cluster_state') === 'ok' && settledView, signature };
          }),
        );
        state = views.map((v, i) => `:${running[i].port} ${v.ok ? 'ok' : 'not ok'}`).join(', ');
        return views.every((v) => v.ok && v.signature === views[0].signature) ? true : undefined;
      },
      { timeoutMs, intervalMs: 100, describe: (error) => `cluster did not converge: ${state}${error ? ` (${(error as Error).message})` : ''}` },
    );
  };

  try {
    const seeds = nodes.map((node) => `${node.host}:${node.port}`);
    await cli('--cluster', 'create', ...seeds, '--cluster-replicas', String(replicas), '--cluster-yes');
    await waitForAgreement(Math.max(1000, deadline - Date.now()));
    // Replicas must have synced, or reads sent to them would find nothing.
    await pollUntil(
      async () => {
        const links = await Promise.all((await withRole('slave')).map(async (node) => parseInfo(await node.cli('info', 'replication')).get('master_link_status')));
        return links.length === masterCount * replicas && links.every((s) => s === 'up') ? true : undefined;
      },
      { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 100, describe: () => 'cluster replicas did not finish their initial sync' },
    );
  } catch (error) {
    const logs = nodes.map((node) => `--- node :${node.port} ---\n${node.logTail(8)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }

  const addresses = nodes.map((node) => [node.host, node.port] as [string, number]);
  return {
    nodes,
    addresses,
    url: `${options.tls ? 'rediss' : 'redis'}://${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`,
    tls: nodes[0].tls,
    masters: () => withRole('master'),
    replicas: () => withRole('slave'),
    nodeId: async (node) => (await node.cli('cluster', 'myid')).trim(),
    cli,
    waitForAgreement,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
