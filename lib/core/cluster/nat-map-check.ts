import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import { CommunicationError, ReplyError } from '../errors.js';
import type { DecodeSettings } from '../resp/types.js';
import { pendingCall } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { HostPort, ShardLayout } from './slot-map.js';

const UTF8: DecodeSettings = Object.freeze({ decoder: 'utf8', attributes: false });

/** How long the check waits for a mapped master when no `connectTimeout` is set (ms). */
export const NAT_CHECK_TIMEOUT_MS = 3000;

/** What the check needs from the topology: where natMap sends an announced address, and its pool. */
export interface NatMapped {
  translate(host: string, port: number): Address;
  announced(host: string, port: number): ServerPool;
}

/**
 * A `natMap` that sends nodes to addresses where nothing answers would otherwise show as
 * a cluster that never answers: calls held for a failover that is not happening, then an
 * `ERR_CLUSTER_REDIRECTIONS` naming whatever call came first (often the client's own
 * COMMAND lookup), ~20 s later. So before the first slot map is used, every master that
 * natMap moves — and that the cluster itself reports healthy — must answer a PING at its
 * mapped address within `timeoutMs`; one that does not fails the start with
 * `ERR_NATMAP_UNREACHABLE`, naming both addresses. (A refusal such as WRONGPASS means the
 * address was reached: left to the calls to report.) The PING opens the pools' shared
 * connections, which calls then use.
 */
export async function checkNatMapped(layouts: readonly ShardLayout[], nodes: NatMapped, timeoutMs: number): Promise<void> {
  const checks: Promise<string | null>[] = [];
  for (const layout of layouts) {
    if (layout.online === false) continue; // the cluster knows it is down: a failover's business
    const [host, port] = layout.master;
    const mapped = nodes.translate(host, port);
    if (formatAddress(mapped) === formatAddress([host, port])) continue;
    checks.push(unreachable(layout.master, nodes.announced(host, port), timeoutMs));
  }
  const failures = (await Promise.all(checks)).filter((f): f is string => f !== null);
  if (failures.length === 0) return;
  throw new CommunicationError(
    `natMap maps ${failures.length === 1 ? 'a cluster node' : `${failures.length} cluster nodes`} to an unreachable address: ${failures.join('; ')}. The cluster reports ${failures.length === 1 ? 'it' : 'them'} healthy: check natMap`,
    { code: 'ERR_NATMAP_UNREACHABLE' },
  );
}

/** `null` once `pool` answered; otherwise why not, worded for the error. */
async function unreachable(announced: HostPort, pool: ServerPool, timeoutMs: number): Promise<string | null> {
  const { pending, promise } = pendingCall(['PING'], UTF8);
  pool.send(pending, 0);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([promise, late]);
    return null;
  } catch (err) {
    if (err instanceof ReplyError) return null;
    return `${formatAddress(announced)} (as the cluster announces it) → ${pool.key} (${(err as Error).message})`;
  } finally {
    clearTimeout(timer);
    promise.catch(() => {}); // the connect may still fail after the timeout
  }
}
