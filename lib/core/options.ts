import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { ReplyDecoder } from './resp/types.js';
import { Secret } from './secret.js';

/** `[host, port]` for TCP/TLS, or a unix socket path. */
export type Address = readonly [host: string, port: number] | string;

export type PoolFactory = 'auto' | 'cluster' | 'pool' | 'sentinel';
export type SocketFactory = 'tcp' | 'unix' | 'ssl';
export type RespVersion = -1 | 2 | 3;

/** Settings a `modify()` view, a `connection()` or a single call may change. */
export interface CallSettings {
  /** How reply strings are decoded: `null` keeps Buffers, `'utf8'` (or any Buffer encoding) gives strings. */
  decoder?: ReplyDecoder;
  /** Wrap every reply value in `RedisValue` with its RESP type and RESP3 attributes. */
  attributes?: boolean;
  /** Database number; each database gets its own shared connection. */
  database?: number;
}

/** Trailing options object accepted by `call()`. */
export interface CallOptions extends CallSettings {
  /** `'masters'` runs the call on every master; `[host, port]` or `'host:port'` names one server. */
  endpoint?: 'masters' | Address;
}

/** Options of the `Redis` constructor, `Redis.fromUrl` query parameters and the Nest module. Durations are milliseconds. */
export interface RedisOptions<C = unknown> extends CallSettings {
  poolFactory?: PoolFactory;
  /** Server address: `[host, port]` (default `['localhost', 6379]`) or a unix socket path. */
  address?: Address;
  /** Seed addresses for a cluster or the sentinels; the first reachable one is used. */
  addresses?: readonly Address[];
  username?: string;
  password?: string;
  clientName?: string;
  /** 2 (default), 3, or -1 to negotiate the highest the server supports. */
  respVersion?: RespVersion;
  socketFactory?: SocketFactory;
  /** Extra connection attempts after the first fails (default 2), with exponential backoff and jitter. */
  connectRetry?: number;
  /** Bound on exclusive connections per server (default unlimited). Shared multiplexed connections are not counted. */
  maxConnections?: number;
  /** How long `connection()` waits for a free connection when `maxConnections` is reached (default forever). */
  waitTimeout?: number;
  /** Small pieces are coalesced up to this many bytes per write; larger Buffers are written without copying (default 6000). */
  cutoffSize?: number;
  customCommandClass?: new (base: any) => C;
  /** Encoding for string arguments (default 'utf8'). */
  encoder?: BufferEncoding;
  connectTimeout?: number;
  /** Longest wait for a reply before the connection is discarded and its calls fail (default none). */
  socketTimeout?: number;
  /** TCP keepalive initial delay in ms, `true` for the OS default, `false`/0 off (default off). */
  tcpKeepalive?: number | boolean;
  tcpNodelay?: boolean;
  tls?: TlsConnectionOptions;
  sslCafile?: string;
  sslCertfile?: string;
  sslKeyfile?: string;
  /** Largest bulk string accepted from the server (default 512 MiB, Redis's own limit). */
  maxBulkLength?: number;
  /** Sentinel: the monitored master's name. */
  sentinelMaster?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** Cluster/sentinel: where read-only commands go (default 'master'). */
  readFrom?: 'master' | 'replica';
  /** Cluster: rewrites announced addresses, `{ 'announced:port': ['reachable', port] }` or a function. */
  natMap?: Record<string, readonly [string, number]> | ((host: string, port: number) => readonly [string, number] | undefined);
  /** Cluster: most MOVED/ASK redirections followed for one command (default 16). */
  maxRedirections?: number;
  /**
   * Cluster: how long a call waits for a slot whose master is unreachable (or for a cluster
   * that answers CLUSTERDOWN) until a replica takes over, in ms (default `socketTimeout`,
   * else 10 000). `0` fails such calls at once.
   */
  failoverWait?: number;
  /** Client-side caching with CLIENT TRACKING. */
  clientSideCache?: boolean | { maxEntries?: number; ttl?: number };
}

/** Options after validation and defaults; shared by every layer below the facade. */
export interface ResolvedOptions {
  readonly poolFactory: PoolFactory;
  readonly addresses: readonly Address[];
  readonly username: string | undefined;
  readonly password: Secret | undefined;
  readonly clientName: string | undefined;
  readonly respVersion: RespVersion;
  readonly socketFactory: SocketFactory;
  readonly connectRetry: number;
  readonly maxConnections: number;
  readonly waitTimeout: number | undefined;
  readonly cutoffSize: number;
  readonly encoder: BufferEncoding;
  readonly decoder: ReplyDecoder;
  readonly attributes: boolean;
  readonly database: number;
  readonly connectTimeout: number | undefined;
  readonly socketTimeout: number | undefined;
  readonly tcpKeepalive: number | false;
  readonly tcpNodelay: boolean;
  readonly tls: TlsConnectionOptions | undefined;
  readonly maxBulkLength: number;
  readonly sentinelMaster: string | undefined;
  readonly sentinelUsername: string | undefined;
  readonly sentinelPassword: Secret | undefined;
  readonly readFrom: 'master' | 'replica';
  readonly natMap: RedisOptions['natMap'];
  readonly maxRedirections: number;
  readonly failoverWait: number;
  readonly clientSideCache: { maxEntries: number; ttl: number | undefined } | undefined;
  readonly customCommandClass: (new (base: any) => unknown) | undefined;
}

/** Every option name; `fromUrl` refuses query parameters outside it. */
export const KNOWN_OPTIONS: ReadonlySet<string> = new Set<string>([
  'poolFactory', 'address', 'addresses', 'username', 'password', 'clientName', 'respVersion', 'socketFactory',
  'connectRetry', 'maxConnections', 'waitTimeout', 'cutoffSize', 'customCommandClass', 'encoder', 'decoder',
  'attributes', 'database', 'connectTimeout', 'socketTimeout', 'tcpKeepalive', 'tcpNodelay', 'tls', 'sslCafile',
  'sslCertfile', 'sslKeyfile', 'maxBulkLength', 'sentinelMaster', 'sentinelUsername', 'sentinelPassword',
  'readFrom', 'natMap', 'maxRedirections', 'failoverWait', 'clientSideCache',
]);

export const DEFAULT_PORT = 6379;
export const DEFAULT_SENTINEL_PORT = 26379;
const DEFAULT_MAX_BULK = 512 * 1024 * 1024;
/** A failover with the default cluster-node-timeout (15 s) takes longer; with 1-5 s it fits. */
const DEFAULT_FAILOVER_WAIT_MS = 10_000;
/** Largest delay a Node timer accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function fail(name: string, expected: string, value: unknown): never {
  // Never echo the value itself: it may be a credential.
  throw new TypeError(`Option "${name}" must be ${expected}, got ${describeType(value)}`);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'null prototype'})` : `a ${typeof value}`;
}

function optString(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(name, 'a string', v);
  return v;
}

function optBool(o: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = o[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(name, 'a boolean', v);
  return v;
}

/**
 * Largest duration accepted, in ms: Node stores timer delays in a signed 32-bit integer and
 * turns anything larger (or Infinity) into 1 ms, so a long timeout would fire at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** Largest count (retries, connections, databases, sizes) accepted. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** Redis database indexes are C ints on the server. */
const MAX_DATABASE = 2 ** 31 - 1;

/**
 * A finite integer in `[min, max]`, or `dflt` when absent. Infinity, NaN and fractions are
 * refused rather than clamped: each would change what the option means.
 */
function optInt(o: Record<string, unknown>, name: string, min: number, dflt: number | undefined, max: number = MAX_COUNT): number | undefined {
  const v = o[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v)) fail(name, 'a number', v);
  // The value is not quoted: it may come from a URL whose other parts are secret.
  if (!Number.isFinite(v)) throw new RangeError(`Option "${name}" must be a finite integer from ${min} to ${max}, got a non-finite number`);
  if (!Number.isInteger(v)) throw new RangeError(`Option "${name}" must be an integer from ${min} to ${max}, got a fraction`);
  if (v < min || v > max) throw new RangeError(`Option "${name}" must be an integer from ${min} to ${max}`);
  return v;
}

/** A duration option in ms: a finite integer from `min` up to 2^31-1 (see MAX_DURATION_MS). */
function optDuration(o: Record<string, unknown>, name: string, min: number, dflt: number | undefined): number | undefined {
  return optInt(o, name, min, dflt, MAX_DURATION_MS);
}

/**
 * `maxConnections`: a count, where `Infinity` is the documented default ("unlimited") and
 * is accepted as such; it never reaches a timer.
 */
function optLimit(o: Record<string, unknown>, name: string): number {
  if (o[name] === Infinity) return Infinity;
  return optInt(o, name, 1, Infinity)!;
}

/** A duration given to a single operation (e.g. `nextMessage({ timeout })`): a finite number of ms from 0 to 2^31-1. */
export function assertDuration(value: unknown, what: string): void {
  if (typeof value !== 'number' || !(value >= 0) || value > MAX_DURATION_MS) {
    throw new RangeError(`${what} must be a finite number of milliseconds from 0 to ${MAX_DURATION_MS}`);
  }
}

export function validateDecoder(value: unknown, name = 'decoder'): ReplyDecoder {
  if (value === null) return null;
  if (typeof value !== 'string' || !Buffer.isEncoding(value)) fail(name, 'null or a Buffer encoding name', value);
  return value as BufferEncoding;
}

export function validateAddress(value: unknown, name: string): Address {
  if (typeof value === 'string') {
    if (value.length === 0) throw new RangeError(`Option "${name}" must not be empty`);
    return value;
  }
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string') {
    const port = value[1];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Option "${name}" must have a port between 0 and 65535`);
    }
    return [value[0], port] as const;
  }
  return fail(name, '[host, port] or a unix socket path', value);
}

/** Validates the per-call / view settings; returns only the keys that were given. */
export function validateCallSettings(o: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): CallOptions {
  for (const key of Object.keys(o)) {
    if (!allowed.has(key)) throw new TypeError(`Unknown ${where} option "${key}"`);
  }
  const out: { -readonly [K in keyof CallOptions]: CallOptions[K] } = {};
  if (o.decoder !== undefined) out.decoder = validateDecoder(o.decoder);
  if (o.attributes !== undefined) out.attributes = optBool(o, 'attributes', false);
  if (o.database !== undefined) out.database = optInt(o, 'database', 0, 0, MAX_DATABASE);
  if (o.endpoint !== undefined) {
    out.endpoint = o.endpoint === 'masters' ? 'masters' : validateAddress(o.endpoint, 'endpoint');
  }
  return out;
}

/** Validates user options and fills in defaults. Throws TypeError/RangeError; never echoes secrets. */
export function resolveOptions(input: RedisOptions<any> = {}): ResolvedOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('options', 'an object', input);
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key) && o[key] !== undefined) throw new TypeError(`Unknown option "${key}"`);
  }

  const poolFactory = (o.poolFactory ?? 'auto') as PoolFactory;
  if (!['auto', 'cluster', 'pool', 'sentinel'].includes(poolFactory)) fail('poolFactory', "'auto', 'cluster', 'pool' or 'sentinel'", o.poolFactory);
  const respVersion = (o.respVersion ?? 2) as RespVersion;
  if (respVersion !== 2 && respVersion !== 3 && respVersion !== -1) throw new RangeError('Option "respVersion" must be -1, 2 or 3');

  let addresses: Address[];
  if (o.addresses !== undefined) {
    if (!Array.isArray(o.addresses) || o.addresses.length === 0) fail('addresses', 'a non-empty array', o.addresses);
    addresses = (o.addresses as unknown[]).map((a, i) => validateAddress(a, `addresses[${i}]`));
    if (o.address !== undefined) addresses.unshift(validateAddress(o.address, 'address'));
  } else if (o.address !== undefined) {
    addresses = [validateAddress(o.address, 'address')];
  } else {
    const defaultPort = poolFactory === 'sentinel' ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT;
    addresses = [o.socketFactory === 'unix' ? '/tmp/redis.sock' : ['localhost', defaultPort]];
  }

  let socketFactory = o.socketFactory as SocketFactory | undefined;
  if (socketFactory !== undefined && !['tcp', 'unix', 'ssl'].includes(socketFactory)) fail('socketFactory', "'tcp', 'unix' or 'ssl'", socketFactory);
  if (socketFactory === undefined) {
    socketFactory = typeof addresses[0] === 'string' ? 'unix' : o.tls || o.sslCafile || o.sslCertfile ? 'ssl' : 'tcp';
  }

  let tls: TlsConnectionOptions | undefined;
  if (o.tls !== undefined) {
    if (o.tls === null || typeof o.tls !== 'object') fail('tls', 'an object (tls.ConnectionOptions)', o.tls);
    tls = { ...(o.tls as TlsConnectionOptions) };
  }
  const caFile = optString(o, 'sslCafile');
  const certFile = optString(o, 'sslCertfile');
  const keyFile = optString(o, 'sslKeyfile');
  if (caFile || certFile || keyFile) {
    tls = { ...tls };
    if (caFile) tls.ca = readFileSync(caFile);
    if (certFile) tls.cert = readFileSync(certFile);
    if (keyFile) tls.key = readFileSync(keyFile);
  }
  if (socketFactory === 'ssl') tls ??= {};

  const password = optString(o, 'password');
  const sentinelPassword = optString(o, 'sentinelPassword');
  const keepalive = o.tcpKeepalive;
  let tcpKeepalive: number | false = false;
  if (keepalive === true) tcpKeepalive = 0;
  else if (keepalive !== undefined && keepalive !== false) tcpKeepalive = optDuration(o, 'tcpKeepalive', 0, 0)!;

  let clientSideCache: ResolvedOptions['clientSideCache'];
  if (o.clientSideCache === true) clientSideCache = { maxEntries: 10_000, ttl: undefined };
  else if (o.clientSideCache && typeof o.clientSideCache === 'object') {
    const c = o.clientSideCache as Record<string, unknown>;
    clientSideCache = { maxEntries: optInt(c, 'maxEntries', 1, 10_000)!, ttl: optDuration(c, 'ttl', 1, undefined) };
  } else if (o.clientSideCache !== undefined && o.clientSideCache !== false) fail('clientSideCache', 'a boolean or { maxEntries, ttl }', o.clientSideCache);

  if (poolFactory === 'sentinel' && (typeof o.sentinelMaster !== 'string' || o.sentinelMaster === '')) {
    throw new TypeError('poolFactory "sentinel" needs "sentinelMaster", the name the sentinels monitor (or a redis+sentinel://host:port/name URL)');
  }
  const readFrom = (o.readFrom ?? 'master') as 'master' | 'replica';
  if (readFrom !== 'master' && readFrom !== 'replica') fail('readFrom', "'master' or 'replica'", o.readFrom);
  if (o.natMap !== undefined && (o.natMap === null || (typeof o.natMap !== 'object' && typeof o.natMap !== 'function'))) {
    fail('natMap', 'an object or a function', o.natMap);
  }
  if (o.customCommandClass !== undefined && typeof o.customCommandClass !== 'function') fail('customCommandClass', 'a class', o.customCommandClass);
  const encoder = (o.encoder ?? 'utf8') as BufferEncoding;
  if (typeof encoder !== 'string' || !Buffer.isEncoding(encoder)) fail('encoder', 'a Buffer encoding name', o.encoder);

  return {
    poolFactory,
    addresses,
    username: optString(o, 'username'),
    password: password === undefined ? undefined : new Secret(password),
    clientName: optString(o, 'clientName'),
    respVersion,
    socketFactory,
    connectRetry: optInt(o, 'connectRetry', 0, 2, MAX_DURATION_MS)!,
    maxConnections: optLimit(o, 'maxConnections'),
    waitTimeout: optDuration(o, 'waitTimeout', 0, undefined),
    cutoffSize: optInt(o, 'cutoffSize', 0, 6000)!,
    encoder,
    decoder: o.decoder === undefined ? null : validateDecoder(o.decoder),
    attributes: optBool(o, 'attributes', false),
    database: optInt(o, 'database', 0, 0, MAX_DATABASE)!,
    connectTimeout: optDuration(o, 'connectTimeout', 1, undefined),
    socketTimeout: optDuration(o, 'socketTimeout', 1, undefined),
    tcpKeepalive,
    tcpNodelay: optBool(o, 'tcpNodelay', true),
    tls,
    maxBulkLength: optInt(o, 'maxBulkLength', 1, DEFAULT_MAX_BULK)!,
    sentinelMaster: optString(o, 'sentinelMaster'),
    sentinelUsername: optString(o, 'sentinelUsername'),
    sentinelPassword: sentinelPassword === undefined ? undefined : new Secret(sentinelPassword),
    readFrom,
    natMap: o.natMap as RedisOptions['natMap'],
    maxRedirections: optInt(o, 'maxRedirections', 0, 16)!,
    failoverWait: failoverWait(o),
    clientSideCache,
    customCommandClass: o.customCommandClass as ResolvedOptions['customCommandClass'],
  };
}

/** `failoverWait`: a timer delay (finite, 0..2^31-1); defaults to `socketTimeout`, else 10 s. */
function failoverWait(o: Record<string, unknown>): number {
  const socketTimeout = o.socketTimeout as number | undefined;
  const fallback = typeof socketTimeout === 'number' && socketTimeout <= MAX_TIMER_MS ? socketTimeout : DEFAULT_FAILOVER_WAIT_MS;
  const v = optInt(o, 'failoverWait', 0, fallback)!;
  if (v > MAX_TIMER_MS) throw new RangeError(`Option "failoverWait" must be <= ${MAX_TIMER_MS}, got ${v}`);
  return v;
}

/** `host:port` or the socket path, for messages and endpoint keys. */
export function formatAddress(address: Address): string {
  if (typeof address === 'string') return address;
  const [host, port] = address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
