import { assertCommandArgs } from './resp/encoder.js';
import type { CommandArg, DecodeSettings } from './resp/types.js';
import type { Address, CallOptions, CallSettings, RedisOptions, RespVersion } from './options.js';
import { resolveOptions, validateCallSettings, validateAddress } from './options.js';
import { parseRedisUrl } from './url.js';
import { clientClosedError, PipelinedExceptions } from './errors.js';
import { applySettings, decodeSettings, isPlainObject, SETTING_KEYS, splitCallArgs, type ViewSettings } from './call-args.js';
import { blockingTimeoutMs, commandName, isConnectionStateCommand, isPushCommand, isSpecialCommand, isTransactionCommand } from './command-kinds.js';
import { ClientCore, type Topology } from './client-core.js';
import type { EndpointInfo, Router } from './routing/router.js';
import { Connection } from './api/connection.js';
import type { RedisOf, TypedRedis, UntypedRedis } from './api/redis-types.js';
import type { AttributesOption, DecoderOption, RespOption, Untyped } from './commands/typed-call.js';
import { PushConnection } from './api/push-connection.js';
import { ExclusiveWrites } from './cache/exclusive-writes.js';
import type { ClientSideCache } from './cache/client-side-cache.js';
import { parsePipeline } from './api/pipeline-args.js';
import { leaseOn } from './pool/exclusive.js';
import type { PoolGauges } from './pool/server-pool.js';
import { commandChannel } from './diagnostics/channels.js';
import { traceCall, tracePipeline } from './diagnostics/trace-command.js';
import { scanHash, scanKeys, scanSet, scanSortedSet, type KeyScanOptions, type ScanOptions } from './scan.js';

export interface ConnectionOptions extends CallSettings {
  /** Cluster: take the connection on the server that owns this key. */
  key?: CommandArg;
  /** A server by address (`[host, port]`, `'host:port'` or a socket path). */
  endpoint?: Address;
  /** A push connection (pub/sub, MONITOR) instead of a normal one. */
  push?: boolean;
}

/** Client events: `'disconnect'` `{ address, error }` when a shared connection is lost, `'reconnect'` `{ address }` when it is back. */
export type RedisEvent = 'disconnect' | 'reconnect';

const CONNECTION_KEYS: ReadonlySet<string> = new Set(['key', 'endpoint', 'push', 'decoder', 'attributes', 'database']);

/** Set by RedisClient's static block: reads the private core for `clientCoreOf`. */
let coreOf: (client: RedisClient) => ClientCore;

/**
 * The client. `call()` and `pipeline()` multiplex over one shared connection per server
 * and database, writing everything issued in the same event-loop turn at once;
 * `connection()` hands out exclusive connections for transactions and pub/sub.
 * `modify()` gives views with other settings that share everything else. Users see it
 * through the `Redis` type (api/redis-types.ts), typed or not; its own signatures are untyped.
 */
export class RedisClient {
  readonly #core: ClientCore;
  readonly #view: ViewSettings;

  constructor(options?: RedisOptions<any>);
  /** @internal views */
  constructor(options: RedisOptions<any> | undefined, core: ClientCore, view: ViewSettings);
  constructor(options?: RedisOptions<any>, core?: ClientCore, view?: ViewSettings) {
    if (core !== undefined && view !== undefined) {
      this.#core = core;
      this.#view = view;
    } else {
      const resolved = resolveOptions(options);
      this.#core = new ClientCore(resolved);
      this.#view = { decode: decodeSettings(resolved.decoder, resolved.attributes), database: resolved.database };
    }
    const Commands = this.#core.options.customCommandClass;
    if (Commands !== undefined) attachCustomCommands(this, Commands);
  }

  /** A client from a URL (`redis://`, `rediss://`, `unix://`, `redis+sentinel://`, host lists, `/db`, query options). */
  static fromUrl(url: string, options?: RedisOptions<any>): RedisClient {
    return new RedisClient({ ...parseRedisUrl(url), ...options });
  }

  /**
   * Sends one command and resolves to its reply. Arguments are strings, Buffers,
   * Uint8Arrays, numbers or bigints; a trailing plain object holds per-call options
   * `{ decoder, attributes, database, endpoint }`. Bad arguments reject with a TypeError
   * and nothing is sent.
   */
  call(...args: unknown[]): Promise<any> {
    let command = args as CommandArg[];
    let options: CallOptions | undefined;
    let name: string;
    const core = this.#core;
    try {
      if (args.length > 0 && isPlainObject(args[args.length - 1])) {
        const split = splitCallArgs(args);
        command = split.command as CommandArg[];
        options = split.options;
      }
      assertCommandArgs(command);
      name = commandName(command[0]);
      if (isSpecialCommand(name)) checkSharedCommand(name, command);
    } catch (err) {
      return Promise.reject(err);
    }
    if (core.closed) return Promise.reject(clientClosedError());
    const view = options === undefined ? this.#view : applySettings(this.#view, options);
    const endpoint = options?.endpoint;
    // The one check the untraced path pays. The closure lives in #traced, not here: a closure
    // in this function would make V8 allocate a context for its variables on every call.
    if (commandChannel.hasSubscribers) return this.#traced(name, command, view, endpoint);
    return this.#run(name, command, view, endpoint);
  }

  #traced(name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    return traceCall(name, command, view, (traced) => this.#run(name, command, traced, endpoint));
  }

  #run(name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    const cache = this.#core.cache;
    // The cached path's closures live in #cached: here they would cost every call a context.
    return cache === null ? this.#send(name, command, view, endpoint) : this.#cached(cache, name, command, view, endpoint);
  }

  #cached(cache: ClientSideCache, name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    if (endpoint === undefined && cache.cacheable(name, command)) return cache.read(name, command, view.decode, view.database, this.#sendRead, view);
    // Every other command may write (also one sent to an `endpoint`): the keys it may change
    // are known from the router's command table, so the router must exist first.
    const router = this.#core.router;
    if (router === null) return this.#cachedLater(cache, name, command, view, endpoint);
    return cache.write(name, command, router.commands, this.#sendWrite, view, endpoint);
  }

  /** `#cached` once the router exists (its own method: a closure in `#cached` would cost every call a context). */
  #cachedLater(cache: ClientSideCache, name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    return this.#core.getRouter().then(() => this.#cached(cache, name, command, view, endpoint));
  }

  /** How the cache sends a read it cannot answer, and a write: made once per client, not per call. */
  readonly #sendRead = (name: string, command: readonly CommandArg[], view: ViewSettings): Promise<unknown> =>
    this.#dispatch(name, command as CommandArg[], view, undefined);
  readonly #sendWrite = (name: string, command: readonly CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> =>
    this.#send(name, command as CommandArg[], view, endpoint);

  // #send and #dispatch run for every call: their rare paths' closures live in methods of
  // their own, or V8 would allocate a context for the parameters on every call.
  #send(name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    if ((name === 'eval' || name === 'eval_ro') && endpoint === undefined) return this.#script(name, command, view);
    return this.#dispatch(name, command, view, endpoint);
  }

  #script(name: 'eval' | 'eval_ro', command: CommandArg[], view: ViewSettings): Promise<unknown> {
    return this.#core.scripts.run(name, command, (args) => this.#dispatch(name, args as CommandArg[], view, undefined));
  }

  #dispatch(name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    const router = this.#core.router;
    if (router !== null) return dispatch(router, name, command, view, endpoint);
    return this.#dispatchLater(name, command, view, endpoint);
  }

  #dispatchLater(name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
    return this.#core.getRouter().then((r) => dispatch(r, name, command, view, endpoint));
  }

  /**
   * Every key (matching `match`/`type`), walking SCAN to its end; on a cluster, every master,
   * and again every master that gained slots while the walk ran (so no key present for the
   * whole walk is missed when slots move). SCAN may return a key twice when the server
   * rehashes mid-walk, and a master walked again returns all its keys again; duplicates are
   * passed on.
   */
  scanIterator(options?: KeyScanOptions): AsyncGenerator<any> {
    const core = this.#core;
    return scanKeys(this, options, async () => {
      const router = await core.getRouter();
      return router.slotOwners === undefined ? null : router.slotOwners();
    });
  }

  /** `[field, value]` pairs of a hash (HSCAN). */
  hscanIterator(key: CommandArg, options?: ScanOptions): AsyncGenerator<[any, any]> {
    return scanHash(this, key, options);
  }

  /** Members of a set (SSCAN). */
  sscanIterator(key: CommandArg, options?: ScanOptions): AsyncGenerator<any> {
    return scanSet(this, key, options);
  }

  /** `[member, score]` pairs of a sorted set (ZSCAN). */
  zscanIterator(key: CommandArg, options?: ScanOptions): AsyncGenerator<[any, any]> {
    return scanSortedSet(this, key, options);
  }

  /**
   * Sends the commands together and resolves to their replies in order; if any failed,
   * rejects with `PipelinedExceptions` whose `results` holds every reply or error.
   */
  pipeline(commands: readonly unknown[][], options?: CallSettings): Promise<any[]> {
    let view: ViewSettings;
    let parsed: ReturnType<typeof parsePipeline>;
    // Blocking commands get their extra time under socketTimeout, as in call().
    let blockMs: number[] | null = null;
    try {
      const settings = options === undefined ? undefined : validateCallSettings(options as Record<string, unknown>, SETTING_KEYS, 'pipeline');
      view = applySettings(this.#view, settings);
      parsed = parsePipeline(commands, view.decode);
      for (let i = 0; i < parsed.commands.length; i++) {
        const command = parsed.commands[i];
        const name = commandName(command[0]);
        checkSharedCommand(name, command);
        const block = isSpecialCommand(name) ? blockingTimeoutMs(name, command) : undefined;
        if (block !== undefined) (blockMs ??= new Array<number>(parsed.commands.length).fill(0))[i] = block;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#core.closed) return Promise.reject(clientClosedError());
    if (commandChannel.hasSubscribers) return this.#tracedPipeline(parsed.commands, parsed.settings, view, blockMs);
    return this.#pipeline(parsed.commands, parsed.settings, view, blockMs);
  }

  #tracedPipeline(commands: CommandArg[][], settings: DecodeSettings[], view: ViewSettings, blockMs: number[] | null): Promise<any[]> {
    return tracePipeline(commands, settings, view.database, (traced) => this.#pipeline(commands, traced, view, blockMs));
  }

  async #pipeline(commands: CommandArg[][], settings: DecodeSettings[], view: ViewSettings, blockMs: number[] | null): Promise<any[]> {
    const cache = this.#core.cache;
    const router = this.#core.router ?? (await this.#core.getRouter());
    const send = async (): Promise<unknown[]> => {
      if (blockMs === null) return router.pipeline(commands, settings, view.database);
      // A blocking command would stall the shared socket: run this pipeline on its own connection.
      return router.pipelineBlocking(commands, settings, view.database, blockMs);
    };
    let results: unknown[];
    if (cache === null) results = await send();
    else {
      const writes = commands.map((command) => cache.written(commandName(command[0]), command, router.commands));
      results = await cache.around(writes, send());
    }
    for (let i = 0; i < results.length; i++) if (results[i] instanceof Error) throw new PipelinedExceptions(results);
    return results;
  }

  /** A view with other `decoder`, `attributes` or `database` that shares this client's connections. */
  modify(settings: CallSettings): this {
    if (!isPlainObject(settings as unknown)) throw new TypeError('modify() takes an object such as { database: 1 }');
    const change = validateCallSettings(settings as Record<string, unknown>, SETTING_KEYS, 'modify');
    return new RedisClient(undefined, this.#core, applySettings(this.#view, change)) as this;
  }

  /** An exclusive connection (`push: true` for pub/sub and MONITOR); give it back with `release()`/`close()`. */
  connection(options: ConnectionOptions & { push: true }): Promise<PushConnection>;
  connection(options?: ConnectionOptions & { push?: false }): Promise<Connection>;
  connection(options?: ConnectionOptions): Promise<Connection | PushConnection>;
  async connection(options: ConnectionOptions = {}): Promise<Connection | PushConnection> {
    if (!isPlainObject(options as unknown)) throw new TypeError('connection() takes an options object');
    for (const key of Object.keys(options)) if (!CONNECTION_KEYS.has(key)) throw new TypeError(`Unknown connection option "${key}"`);
    const change = validateCallSettings({ decoder: options.decoder, attributes: options.attributes, database: options.database }, SETTING_KEYS, 'connection');
    const endpoint = options.endpoint === undefined ? undefined : validateAddress(parseEndpoint(options.endpoint), 'endpoint');
    if (options.key !== undefined) assertCommandArgs([options.key]);
    if (options.push !== undefined && typeof options.push !== 'boolean') throw new TypeError('Option "push" must be a boolean');
    if (this.#core.closed) throw clientClosedError();
    const view = applySettings(this.#view, change);
    const router = this.#core.router ?? (await this.#core.getRouter());
    const taken = await router.take({ key: options.key, endpoint });
    if (options.push) {
      // A push connection is on the pool's database: messages do not depend on it.
      return new PushConnection(taken, view.decode);
    }
    await leaseOn(taken.lease, view.database);
    const cache = this.#core.cache;
    const writes = cache === null ? null : new ExclusiveWrites(cache, router.commands);
    return new Connection(taken, { decode: view.decode, database: view.database }, writes);
  }

  /** The servers this client talks to, with their role. */
  async endpoints(): Promise<EndpointInfo[]> {
    const router = this.#core.router ?? (await this.#core.getRouter());
    return router.endpoints();
  }

  /** Client-side caching counters (all zero when `clientSideCache` is off). */
  clientSideCacheStats(): { hits: number; misses: number; entries: number } {
    return this.#core.cache?.stats() ?? { hits: 0, misses: 0, entries: 0 };
  }

  /**
   * Pool gauges per server, for health pages and metrics: open shared connections,
   * exclusive connections in use and idle, callers waiting for one. Empty before the
   * first call (nothing is connected yet) and after `close()`.
   */
  stats(): PoolGauges[] {
    return this.#core.router?.pools().map((pool) => pool.gauges()) ?? [];
  }

  /**
   * Listens to client events (`'disconnect'`, `'reconnect'`), shared by every view. Cluster:
   * `'cluster-refresh'` `{ masters }` after every slot-map reload (masters as `host:port`).
   */
  on(event: 'cluster-refresh', listener: (info: { masters: string[] }) => void): this;
  on(event: RedisEvent, listener: (info: { address: string; error?: Error }) => void): this;
  on(event: RedisEvent | 'cluster-refresh', listener: (info: any) => void): this {
    this.#core.events.on(event, listener);
    return this;
  }

  off(event: 'cluster-refresh', listener: (info: { masters: string[] }) => void): this;
  off(event: RedisEvent, listener: (info: { address: string; error?: Error }) => void): this;
  off(event: RedisEvent | 'cluster-refresh', listener: (info: any) => void): this {
    this.#core.events.off(event, listener);
    return this;
  }

  /** Closes every connection of this client and all its views. Calls already written still get their replies. */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Whether `close()` was called (on this client or any of its views). */
  get closed(): boolean {
    return this.#core.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * What this client talks to: `'standalone'`, `'cluster'` or `'sentinel'`. Known at once
   * when `poolFactory` names it (`'pool'` is standalone); with `'auto'` it is `undefined`
   * until the first connect has asked the server whether it is a cluster.
   */
  get topology(): Topology | undefined {
    return this.#core.topology;
  }

  /**
   * The configured seed addresses (`address`/`addresses`, or sentinels), as `host:port`
   * (`[v6]:port`) or socket paths. Never holds credentials. Cluster nodes found later are
   * not seeds: see `endpoints()`.
   */
  get seeds(): readonly string[] {
    return this.#core.seeds;
  }

  static {
    coreOf = (client) => client.#core;
  }
}

/**
 * @internal Tests only (never exported from the index): the core a client and its views
 * share. The library's own layers use the public `topology`/`seeds` instead.
 */
export function clientCoreOf(client: UntypedRedis | TypedRedis<any, any, any>): ClientCore {
  return coreOf(client as unknown as RedisClient);
}

function dispatch(router: Router, name: string, command: CommandArg[], view: ViewSettings, endpoint: CallOptions['endpoint']): Promise<unknown> {
  const blockMs = isSpecialCommand(name) ? blockingTimeoutMs(name, command) : undefined;
  if (endpoint !== undefined) {
    // Blocking ones run on exclusive connections there too, never stalling the shared one.
    if (endpoint === 'masters') return router.fanOut(command, view.decode, view.database, blockMs);
    return router.sendTo(parseEndpoint(endpoint), command, view.decode, view.database, blockMs);
  }
  if (blockMs !== undefined) return router.sendBlocking(command, view.decode, view.database, blockMs);
  return router.send(command, view.decode, view.database);
}

/** Commands that cannot run on a shared connection say so before anything is sent. */
function checkSharedCommand(name: string, command: readonly CommandArg[]): void {
  if (isTransactionCommand(name)) {
    throw new TypeError(`${name.toUpperCase()} only works on an exclusive connection: const c = await redis.connection(); await c.call('${name}')`);
  }
  if (isPushCommand(name)) {
    throw new TypeError(`${name.toUpperCase()} needs a push connection: await redis.connection({ push: true })`);
  }
  if (isConnectionStateCommand(name, command)) {
    throw new TypeError(
      name === 'select'
        ? 'SELECT would move every caller sharing the connection: use redis.modify({ database }) or the { database } call option'
        : `${(name === 'client' ? `CLIENT ${commandName(command[1])}` : name).toUpperCase()} changes the shared connection's state for every caller: run it on redis.connection()`,
    );
  }
}

/** `'host:port'` → `[host, port]`; other forms unchanged. */
function parseEndpoint(endpoint: Address): Address {
  if (typeof endpoint !== 'string' || endpoint.startsWith('/')) return endpoint;
  const colon = endpoint.lastIndexOf(':');
  const port = Number(endpoint.slice(colon + 1));
  if (colon === -1 || !Number.isInteger(port)) return endpoint;
  const host = endpoint.slice(0, colon).replace(/^\[|\]$/g, '');
  return [host, port];
}

function attachCustomCommands(target: RedisClient, Commands: new (base: any) => unknown): void {
  const instance = new Commands(target) as Record<string, unknown>;
  let proto = Object.getPrototypeOf(instance);
  while (proto !== null && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in target) continue;
      const member = (instance as Record<string, unknown>)[name];
      if (typeof member === 'function') {
        Object.defineProperty(target, name, { value: (member as (...a: unknown[]) => unknown).bind(instance), enumerable: false, configurable: true });
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
}

type CustomOf<O> = O extends { customCommandClass: new (base: any) => infer C } ? C : {};
/** Option names a constructor's options object may not have beyond the known ones (a typo is a type error). */
type NoUnknownOptions<O> = string extends keyof O ? {} : { [K in Exclude<keyof O, keyof RedisOptions<any>>]: never };

/**
 * The constructor. `new Redis({ decoder: 'utf8', respVersion: 3 })` infers `Redis<'utf8', 3>`
 * (absent decoder: `null`, Buffers; absent respVersion: 2); `customCommandClass` methods
 * appear on the instance. `fromUrl` (options from a string) gives an untyped client.
 */
export interface RedisConstructor {
  new <O extends RedisOptions<any> = {}>(options?: O & RedisOptions<any> & NoUnknownOptions<O>): Redis<DecoderOption<O>, RespOption<O>, AttributesOption<O>, CustomOf<O>>;
  fromUrl<C = {}>(url: string, options?: RedisOptions<C>): Redis<Untyped, 2, false, C>;
  readonly prototype: UntypedRedis;
}

export const Redis = RedisClient as unknown as RedisConstructor;
/**
 * A client. `Redis` (no type arguments) replies `Promise<any>`; `Redis<'utf8'>` (decoder),
 * `Redis<'utf8', 3>` (and RESP version), `Redis<null>` (Buffers) type every known command's
 * arguments and reply. `At`: `true` when `attributes: true` (replies are `RedisValue`).
 */
export type Redis<D = Untyped, P extends RespVersion = 2, At extends boolean = false, C = {}> = RedisOf<D, P, At, C>;
