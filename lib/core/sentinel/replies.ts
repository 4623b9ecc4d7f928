import { RedisError } from '../errors.js';

/**
 * Parsers for what sentinels (and ROLE) answer. Replies arrive decoded as utf8 strings;
 * field lists may be flat arrays (RESP2) or Maps (RESP3), both are accepted.
 */

/** A sentinel answered something this client does not understand. */
function malformed(what: string): RedisError {
  return new RedisError(`Unexpected reply to ${what} from a sentinel`, 'ERR_SENTINEL_REPLY');
}

/** `SENTINEL GET-MASTER-ADDR-BY-NAME` → `[host, port]`, or `null` when the sentinel does not know the name. */
export function parseMasterAddress(reply: unknown): [string, number] | null {
  if (reply === null) return null;
  if (!Array.isArray(reply) || reply.length < 2) throw malformed('SENTINEL GET-MASTER-ADDR-BY-NAME');
  const port = Number(reply[1]);
  if (!Number.isInteger(port)) throw malformed('SENTINEL GET-MASTER-ADDR-BY-NAME');
  return [String(reply[0]), port];
}

/** `field value field value ...` or a Map → Map of strings. */
export function fieldMap(entry: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (entry instanceof Map) {
    for (const [k, v] of entry) out.set(String(k), String(v));
  } else if (Array.isArray(entry)) {
    for (let i = 0; i + 1 < entry.length; i += 2) out.set(String(entry[i]), String(entry[i + 1]));
  }
  return out;
}

/** `SENTINEL MASTER name` → its `config-epoch` (0 when absent): a newer epoch is a newer view of the failovers. */
export function parseConfigEpoch(reply: unknown): number {
  const epoch = Number(fieldMap(reply).get('config-epoch') ?? 0);
  return Number.isFinite(epoch) ? epoch : 0;
}

/** Flags that make a replica unfit for reads: down, or the sentinel lost its link to it. */
const UNHEALTHY = ['s_down', 'o_down', 'disconnected'];

/**
 * `SENTINEL REPLICAS name` → the replicas worth reading from: up, and with a working link
 * to their master (a replica whose link is down serves stale data or none at all).
 */
export function parseReplicas(reply: unknown): [string, number][] {
  if (!Array.isArray(reply)) throw malformed('SENTINEL REPLICAS');
  const out: [string, number][] = [];
  for (const entry of reply) {
    const f = fieldMap(entry);
    const host = f.get('ip');
    const port = Number(f.get('port'));
    if (host === undefined || !Number.isInteger(port)) continue;
    const flags = (f.get('flags') ?? '').split(',');
    if (flags.some((flag) => UNHEALTHY.includes(flag))) continue;
    const link = f.get('master-link-status');
    if (link !== undefined && link !== 'ok') continue;
    out.push([host, port]);
  }
  return out;
}

/** `ROLE` → 'master', 'slave' or 'sentinel'. */
export function parseRole(reply: unknown): string {
  if (!Array.isArray(reply) || reply.length === 0) throw new RedisError('Unexpected reply to ROLE', 'ERR_SENTINEL_REPLY');
  return String(reply[0]);
}

/** What a sentinel's pub/sub message means for this client. */
export type SentinelEvent =
  /** The master moved (`+switch-master`): the new address, to try first. */
  | { readonly kind: 'switch-master'; readonly address: [string, number] }
  /** A replica appeared, went down or came back: the list of replicas may have changed. */
  | { readonly kind: 'replicas' };

/**
 * A message on one of the sentinel's event channels, or `null` when it is about another
 * master. `+switch-master` carries `name oldip oldport newip newport`; instance events carry
 * `type name ip port [@ master-name master-ip master-port]`.
 */
export function parseSentinelEvent(channel: string, payload: string, masterName: string): SentinelEvent | null {
  const parts = payload.split(' ');
  if (channel === '+switch-master') {
    if (parts.length < 5 || parts[0] !== masterName) return null;
    const port = Number(parts[4]);
    return Number.isInteger(port) ? { kind: 'switch-master', address: [parts[3], port] } : null;
  }
  const about = parts[4] === '@' ? parts[5] : parts[0] === 'master' ? parts[1] : undefined;
  return about === masterName ? { kind: 'replicas' } : null;
}
