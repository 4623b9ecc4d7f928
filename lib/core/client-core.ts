import { EventEmitter } from 'node:events';
import type { Address, ResolvedOptions } from './options.js';
import { formatAddress } from './options.js';
import { clientClosedError, CommunicationError, ReplyError } from './errors.js';
import type { RedisConnection } from './transport/redis-connection.js';
import type { Router } from './routing/router.js';
import { connect } from './transport/connect.js';
import { sendBatch } from './pool/exclusive.js';
import { StandaloneRouter } from './routing/standalone-router.js';
import { createClusterRouter } from './cluster/index.js';
import { createSentinelRouter } from './sentinel/index.js';
import { ScriptCache } from './script-cache.js';
import { ClientSideCache } from './cache/client-side-cache.js';

/** What a client talks to (`redis.topology`). */
export type Topology = 'standalone' | 'cluster' | 'sentinel';

/** The topology `poolFactory` names; `'auto'` is only known once detection ran. */
const CONFIGURED_TOPOLOGY: Readonly<Record<ResolvedOptions['poolFactory'], Topology | undefined>> = {
  pool: 'standalone',
  cluster: 'cluster',
  sentinel: 'sentinel',
  auto: undefined,
};

/**
 * What a client and all its `modify()` views share: options, the router (made on first
 * use, since 'auto' must ask the server whether it is a cluster), events, closed state.
 */
export class ClientCore {
  readonly events = new EventEmitter();
  router: Router | null = null;
  closed = false;
  readonly scripts: ScriptCache;
  /** Client-side caching, when enabled. */
  readonly cache: ClientSideCache | null;
  /** `redis.topology`: from `poolFactory`, or set by detection just before its router is handed out. */
  topology: Topology | undefined;
  /** `redis.seeds`: the configured addresses, formatted once (an address holds no credentials). */
  readonly seeds: readonly string[];
  private pending: Promise<Router> | null = null;
  /** Aborted by `close()`: stops detection's connect and INFO, and a sentinel router's start. */
  private readonly closing = new AbortController();

  constructor(readonly options: ResolvedOptions) {
    // An 'error' event with no listener would crash the process; connection problems
    // already reach the caller as rejected calls.
    this.events.on('error', () => {});
    this.topology = CONFIGURED_TOPOLOGY[options.poolFactory];
    this.seeds = Object.freeze(options.addresses.map(formatAddress));
    this.scripts = new ScriptCache(options.encoder);
    this.cache = options.clientSideCache === undefined ? null : new ClientSideCache(options.clientSideCache, this.events, options.encoder);
    if (options.poolFactory === 'pool') this.router = this.standalone(options.addresses[0]);
  }

  /** The router, creating it on first use. A failed creation is retried by the next call. */
  getRouter(): Promise<Router> {
    if (this.router !== null) return Promise.resolve(this.router);
    if (this.closed) return Promise.reject(clientClosedError());
    this.pending ??= this.createRouter().then(
      (router) => {
        this.pending = null;
        if (this.closed) {
          void router.close();
          throw clientClosedError();
        }
        this.router = router;
        return router;
      },
      (err: unknown) => {
        this.pending = null;
        throw err;
      },
    );
    return this.pending;
  }

  private standalone(address: Address): StandaloneRouter {
    return new StandaloneRouter(address, this.options, this.events);
  }

  private async createRouter(): Promise<Router> {
    const o = this.options;
    switch (o.poolFactory) {
      case 'cluster':
        return createClusterRouter(o, this.events);
      case 'sentinel':
        return createSentinelRouter(o, this.events, null, this.closing.signal);
      case 'pool':
        return this.standalone(o.addresses[0]);
      case 'auto':
        return this.detect();
    }
  }

  /**
   * Asks the first reachable seed whether cluster mode is on (INFO works on every server kind).
   * Every step is bounded: the connect by `connectTimeout`/`connectRetry`, the INFO by
   * `connectTimeout` (or DETECT_TIMEOUT_MS), and `close()` interrupts both.
   */
  private async detect(): Promise<Router> {
    const o = this.options;
    const signal = this.closing.signal;
    let lastError: unknown;
    for (const address of o.addresses) {
      let connection;
      try {
        connection = await connect(address, o, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        lastError = err;
        continue;
      }
      let info: unknown;
      try {
        info = await askInfo(connection, o.connectTimeout ?? DETECT_TIMEOUT_MS, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        // Accepted but silent (or lost): as unreachable as a refused seed; try the next one.
        lastError = err;
        continue;
      }
      if (typeof info === 'string' && /cluster_enabled:1/.test(info)) {
        const seeds = [address, ...o.addresses.filter((a) => a !== address)];
        const router = await createClusterRouter({ ...o, addresses: seeds }, this.events);
        this.topology = 'cluster';
        return router;
      }
      // An error (NOAUTH before an AUTH the caller sends itself, a renamed INFO) says
      // nothing about cluster mode: standalone is the safe reading, 'cluster' forces the other.
      this.topology = 'standalone';
      return this.standalone(address);
    }
    if (o.addresses.length === 1) throw lastError;
    throw new CommunicationError(`None of the seed addresses answered (${o.addresses.map(formatAddress).join(', ')})`, { cause: lastError, code: 'ERR_CONNECT' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Detection (connect retries, INFO) stops at once; its promise then settles promptly.
    this.closing.abort(clientClosedError());
    this.cache?.close();
    const router = this.router ?? (await this.pending?.catch(() => null)) ?? null;
    this.router = null;
    await router?.close();
    this.events.removeAllListeners();
  }
}

/** How long detection waits for INFO when no `connectTimeout` is set (ms). */
export const DETECT_TIMEOUT_MS = 10_000;

/**
 * INFO cluster on a fresh connection, then the connection is closed whatever happens.
 * Resolves to the reply (a ReplyError as a value); rejects on silence past `timeoutMs`,
 * on loss, or with `signal.reason` on abort.
 */
async function askInfo(connection: RedisConnection, timeoutMs: number, signal: AbortSignal): Promise<unknown> {
  const timer = setTimeout(() => {
    connection.destroy(new CommunicationError(`${connection.where} did not answer INFO within ${timeoutMs} ms (cluster detection)`, { code: 'ERR_CONNECT_TIMEOUT' }), false);
  }, timeoutMs);
  const onAbort = () => connection.destroy(signal.reason as Error, false);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    const [info] = await sendBatch(connection, [['INFO', 'cluster']], { decoder: 'utf8', attributes: false });
    if (info instanceof Error && !(info instanceof ReplyError)) throw info;
    return info;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    await connection.end();
  }
}
