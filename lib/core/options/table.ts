import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { NatMap, PoolFactory, RespVersion, SocketFactory } from '../options.js';
import { failoverWaitFallback, seedAddresses, sentinelMasterFor, socketFactoryFor, tlsFor } from './derive.js';
import * as r from './row.js';

/** Redis database indexes are C ints on the server. */
const MAX_DATABASE = 2 ** 31 - 1;
const DEFAULT_MAX_BULK = 512 * 1024 * 1024;

/**
 * Every option of the `Redis` constructor, `Redis.fromUrl` query and the Nest module: the
 * one place an option is declared. Its kind decides the check, the URL query form and the
 * error messages; `RedisOptions` and `ResolvedOptions` are derived from it, and so are the
 * known keys `fromUrl` accepts. Rows resolve in this order (later defaults may read earlier
 * ones). Durations are milliseconds.
 */
export const OPTION_TABLE = {
  poolFactory: r.choice<PoolFactory>(['auto', 'cluster', 'pool', 'sentinel'], 'auto'),
  /** Server address: `[host, port]` (default `['localhost', 6379]`) or a unix socket path. */
  address: r.inputOnly(r.address()),
  /** Seed addresses for a cluster or the sentinels; the first reachable one is used. */
  addresses: r.derived(r.addressList(), seedAddresses),
  /** How to reach the server (default: unix for a path, ssl when TLS settings are given, else tcp). */
  socketFactory: r.derived(r.choice<SocketFactory>(['tcp', 'unix', 'ssl']), socketFactoryFor),
  username: r.text(),
  password: r.secretText(),
  clientName: r.text(),
  /** 2 (default), 3, or -1 to negotiate the highest the server supports. */
  respVersion: r.choice<RespVersion>([-1, 2, 3], 2),
  /** Extra connection attempts after the first fails (default 2), with exponential backoff and jitter. */
  connectRetry: r.integer(0, 2 ** 31 - 1, 2),
  /** Bound on exclusive connections per server (default unlimited). Shared multiplexed connections are not counted. */
  maxConnections: r.limit(1, Infinity),
  /** How long `connection()` waits for a free connection when `maxConnections` is reached (default forever). */
  waitTimeout: r.duration(0),
  /** Small pieces are coalesced up to this many bytes per write; larger Buffers are written without copying (default 6000). */
  cutoffSize: r.integer(0, undefined, 6000),
  customCommandClass: r.classOf<new (base: any) => unknown>(),
  /** Encoding for string arguments (default 'utf8'). */
  encoder: r.encoding('utf8'),
  /** How reply strings are decoded: `null` keeps Buffers, `'utf8'` (or any Buffer encoding) gives strings. */
  decoder: r.setting(r.decoder(null)),
  /** Wrap every reply value in `RedisValue` with its RESP type and RESP3 attributes. */
  attributes: r.setting(r.flag(false)),
  /** Database number; each database gets its own shared connection. */
  database: r.setting(r.integer(0, MAX_DATABASE, 0)),
  connectTimeout: r.duration(1),
  /** Longest wait for a reply before the connection is discarded and its calls fail (default none). */
  socketTimeout: r.duration(1),
  /** TCP keepalive initial delay in ms, `true` for the OS default, `false`/0 off (default off). */
  tcpKeepalive: r.keepalive(),
  tcpNodelay: r.flag(true),
  sslCafile: r.inputOnly(r.text()),
  sslCertfile: r.inputOnly(r.text()),
  sslKeyfile: r.inputOnly(r.text()),
  tls: r.derived(r.object<TlsConnectionOptions>('an object (tls.ConnectionOptions)'), tlsFor),
  /** Largest bulk string accepted from the server (default 512 MiB, Redis's own limit). */
  maxBulkLength: r.integer(1, undefined, DEFAULT_MAX_BULK),
  /** Sentinel: the monitored master's name. */
  sentinelMaster: r.derived(r.text(), sentinelMasterFor),
  sentinelUsername: r.text(),
  sentinelPassword: r.secretText(),
  /** Cluster/sentinel: where read-only commands go (default 'master'). */
  readFrom: r.choice(['master', 'replica'], 'master'),
  /** Cluster: rewrites announced addresses, `{ 'announced:port': ['reachable', port] }` or a function. */
  natMap: r.mapper<NatMap>(),
  /** Cluster: most MOVED/ASK redirections followed for one command (default 16). */
  maxRedirections: r.integer(0, undefined, 16),
  /**
   * Cluster: how long a call waits for a slot whose master is unreachable (or for a cluster
   * that answers CLUSTERDOWN) until a replica takes over, in ms (default `socketTimeout`,
   * else 10 000). `0` fails such calls at once.
   */
  failoverWait: r.duration(0, failoverWaitFallback),
  /** Client-side caching with CLIENT TRACKING. */
  clientSideCache: r.cacheSettings<boolean | { maxEntries?: number; ttl?: number }, { maxEntries: number; ttl: number | undefined } | undefined>(),
} as const;

export type OptionTable = typeof OPTION_TABLE;
export type OptionName = keyof OptionTable;
type InputOf<R> = R extends r.OptionRow<infer In, any> ? In : never;
type OutputOf<R> = R extends r.OptionRow<any, infer Out> ? Out : never;

/** The options a view, a connection or a call may change. */
export type SettingName = { [K in OptionName]: OptionTable[K] extends { readonly setting: true } ? K : never }[OptionName];

/** Every option as a user gives it (all optional). */
export type OptionInputs = { -readonly [K in OptionName]?: InputOf<OptionTable[K]> };
/** Every option after checks and defaults, minus those only folded into others. */
export type OptionOutputs = { readonly [K in OptionName as OptionTable[K] extends { readonly inputOnly: true } ? never : K]: OutputOf<OptionTable[K]> };
