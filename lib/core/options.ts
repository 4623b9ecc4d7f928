import type { ReplyDecoder } from './resp/types.js';
import { checkSetting } from './options/resolve.js';
import type { OptionInputs, OptionOutputs, SettingName } from './options/table.js';
import { validateAddress } from './options/checks.js';

/*
 * Options are declared once, in options/table.ts; this file holds the public types derived
 * from that table and the entry points the rest of the client imports.
 */

/** `[host, port]` for TCP/TLS, or a unix socket path. */
export type Address = readonly [host: string, port: number] | string;

export type PoolFactory = 'auto' | 'cluster' | 'pool' | 'sentinel';
export type SocketFactory = 'tcp' | 'unix' | 'ssl';
export type RespVersion = -1 | 2 | 3;
/** `{ 'announced:port': ['reachable', port] }`, or a function from the announced address to the reachable one. */
export type NatMap = Record<string, readonly [string, number]> | ((host: string, port: number) => readonly [string, number] | undefined);

/** Settings a `modify()` view, a `connection()` or a single call may change (the table's `setting` rows). */
export interface CallSettings extends Pick<OptionInputs, SettingName> {}

/** Trailing options object accepted by `call()`. */
export interface CallOptions extends CallSettings {
  /** `'masters'` runs the call on every master; `[host, port]` or `'host:port'` names one server. */
  endpoint?: 'masters' | Address;
}

/** Options of the `Redis` constructor, `Redis.fromUrl` query parameters and the Nest module (one per row of options/table.ts). Durations are milliseconds. */
export interface RedisOptions<C = unknown> extends Omit<OptionInputs, 'customCommandClass'> {
  customCommandClass?: new (base: any) => C;
}

/** Options after validation and defaults; shared by every layer below the facade. */
export type ResolvedOptions = OptionOutputs;

export { KNOWN_OPTIONS, resolveOptions, SETTING_NAMES } from './options/resolve.js';
export { DEFAULT_PORT, DEFAULT_SENTINEL_PORT } from './options/derive.js';
export { assertDuration, describeType, MAX_DURATION_MS, validateAddress, validateDecoder, validateDuration } from './options/checks.js';

/** Validates the per-call / view settings (each by its row of the options table); returns only the keys that were given. */
export function validateCallSettings(o: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): CallOptions {
  for (const key of Object.keys(o)) {
    if (!allowed.has(key)) throw new TypeError(`Unknown ${where} option "${key}"`);
  }
  // Named stores, not a loop over the setting names: this runs on every call that carries options.
  const out: { -readonly [K in keyof CallOptions]: CallOptions[K] } = {};
  if (o.decoder !== undefined) out.decoder = checkSetting('decoder', o.decoder) as ReplyDecoder;
  if (o.attributes !== undefined) out.attributes = checkSetting('attributes', o.attributes) as boolean;
  if (o.database !== undefined) out.database = checkSetting('database', o.database) as number;
  if (o.endpoint !== undefined) {
    out.endpoint = o.endpoint === 'masters' ? 'masters' : validateAddress(o.endpoint, 'endpoint');
  }
  return out;
}

/** `host:port` or the socket path, for messages and endpoint keys. */
export function formatAddress(address: Address): string {
  if (typeof address === 'string') return address;
  const [host, port] = address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
