import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import { CommunicationError, ReplyError } from '../errors.js';
import { UTF8_REPLIES } from '../resp/types.js';
import { pendingCall } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { HostPort, ShardLayout } from './slot-map.js';


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
    checks.push(pingFailure(layout.master, nodes.announced(host, port), timeoutMs));
  }
  const failures = (await Promise.all(checks)).filter((f): f is string => f !== null);
  if (failures.length === 0) return;
  throw natMapUnreachableError(failures);
}

/** The one wording of `ERR_NATMAP_UNREACHABLE`; each failure from `describeFailure`. */
function natMapUnreachableError(failures: readonly string[], cause?: Error): CommunicationError {
  return new CommunicationError(
    `natMap maps ${failures.length === 1 ? 'a cluster node' : `${failures.length} cluster nodes`} to an unreachable address: ${failures.join('; ')}. The cluster reports ${failures.length === 1 ? 'it' : 'them'} healthy: check natMap`,
    { code: 'ERR_NATMAP_UNREACHABLE', cause },
  );
}

function describeFailure(announced: HostPort, mapped: string, why: string): string {
  return `${formatAddress(announced)} (as the cluster announces it) → ${mapped} (${why})`;
}

/**
 * The same verdict for masters first seen after the start (a refresh, a MOVED): a node that
 * natMap moves, that was never reached at its mapped address, and that the cluster does not
 * report failed is a natMap mistake, not a failover — its calls fail at once with
 * `ERR_NATMAP_UNREACHABLE` (after the connect attempt, so bounded by `connectTimeout`)
 * instead of waiting `failoverWait` for a promotion that will not come. A node reached once
 * and lost later is an outage: the failover path handles it. (A node that died before this
 * client ever reached it, before the cluster marked it failed, is mistaken for a natMap
 * error too: the message says what was tried.)
 */
export class NatMapVerdicts {
  /** Pools natMap moved, and the address the cluster announced for each. */
  private readonly moved = new WeakMap<ServerPool, HostPort>();

  /** Notes that `pool` serves the announced `host:port`, mapped to `mapped` (nothing happens when natMap left it alone). */
  note(host: string, port: number, mapped: Address, pool: ServerPool): void {
    if (formatAddress(mapped) !== formatAddress([host, port])) this.moved.set(pool, [host, port]);
  }

  /**
   * `ERR_NATMAP_UNREACHABLE` for a call that could not reach `pool` (`cause`: the connect
   * failure), or `null` when this is no natMap mistake. `layouts`: the cluster's last word.
   */
  unreachable(pool: ServerPool, cause: Error | null, layouts: readonly ShardLayout[]): CommunicationError | null {
    const announced = this.moved.get(pool);
    if (announced === undefined || pool.everConnected) return null;
    const [host, port] = announced;
    if (layouts.some((layout) => layout.online === false && layout.master[0] === host && layout.master[1] === port)) return null;
    const why = cause?.message ?? 'unreachable';
    return natMapUnreachableError([describeFailure(announced, pool.key, why)], cause ?? undefined);
  }
}

/** PINGs `pool` at its mapped address: `null` once it answered (a refusal counts), otherwise why not, worded for the error. */
async function pingFailure(announced: HostPort, pool: ServerPool, timeoutMs: number): Promise<string | null> {
  const { pending, promise } = pendingCall(['PING'], UTF8_REPLIES);
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
    return describeFailure(announced, pool.key, (err as Error).message);
  } finally {
    clearTimeout(timer);
    promise.catch(() => {}); // the connect may still fail after the timeout
  }
}
