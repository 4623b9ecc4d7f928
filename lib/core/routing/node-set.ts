import type { EventEmitter } from 'node:events';
import type { Address, ResolvedOptions } from '../options.js';
import { formatAddress } from '../options.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import { ServerPool } from '../pool/server-pool.js';
import { NodeConfigs, translateAddress } from './node-naming.js';

/** Set-up run on every new connection of a pool before use (ROLE check, READONLY, CLIENT TRACKING). */
export type Prepare = (connection: RedisConnection) => Promise<void>;

/**
 * The one owner of every `ServerPool` a router uses: it alone creates pools (with the
 * connection settings a node's address calls for) and retires them, and `close()` reaches
 * each one, retired or not. Routers only choose which node a command goes to.
 *
 * Pools are either keyed by address (`pool()`: one per `host:port`, shared by every caller
 * naming it) or owned one by one (`open()`: a sentinel master with its ROLE check next to a
 * pool for the same server as a replica). Retiring closes a pool after a grace period, so
 * replies already on their way still arrive; a keyed pool named again before then is kept.
 */
export class NodeSet {
  private readonly keyed = new Map<string, ServerPool>();
  private readonly owned = new Set<ServerPool>();
  /** Pools waiting out their grace period, and the timer that closes them. */
  private readonly retiring = new Map<ServerPool, NodeJS.Timeout>();
  /** Retired pools still closing: `close()` waits for them. */
  private readonly closing = new Set<Promise<void>>();
  private readonly limits: { readonly maxConnections: number; readonly waitTimeout: number | undefined };
  private readonly configs: NodeConfigs;
  private closed = false;

  constructor(
    /** The client's options: the data nodes' connection settings, pool limits, `natMap`, and the seeds (`addresses`). */
    private readonly options: ResolvedOptions,
    private readonly events: EventEmitter | null,
    /** The set-up of pools made without their own. */
    private readonly prepare: Prepare | null = null,
    /** Whether IP-addressed nodes take the seed's TLS server name (false: the standalone server is named by the caller). */
    renameIpNodes = true,
  ) {
    this.limits = { maxConnections: options.maxConnections, waitTimeout: options.waitTimeout };
    this.configs = new NodeConfigs(options, renameIpNodes ? options.addresses : []);
  }

  /** An address a server announced, after `natMap`. */
  translate(host: string, port: number): Address {
    return translateAddress(this.options.natMap, host, port);
  }

  /** The keyed pool for `address` (made on first use); a retiring one is kept after all. */
  pool(address: Address): ServerPool {
    const key = formatAddress(address);
    let pool = this.keyed.get(key);
    if (pool === undefined) {
      pool = this.create(address, this.prepare);
      this.keyed.set(key, pool);
    } else {
      const timer = this.retiring.get(pool);
      if (timer !== undefined) {
        clearTimeout(timer);
        this.retiring.delete(pool);
      }
    }
    return pool;
  }

  /** The keyed pool for `host:port`, if one exists. */
  find(key: string): ServerPool | undefined {
    return this.keyed.get(key);
  }

  /** Every keyed pool, in the order they were made (retiring ones included). */
  pools(): IterableIterator<ServerPool> {
    return this.keyed.values();
  }

  /** A pool of its own for `address`, never shared through `pool()`; it lives until retired or closed. */
  open(address: Address, prepare: Prepare | null = this.prepare): ServerPool {
    const pool = this.create(address, prepare);
    this.owned.add(pool);
    return pool;
  }

  isRetiring(pool: ServerPool): boolean {
    return this.retiring.has(pool);
  }

  /**
   * Closes `pool` after `graceMs` (0: now — its queued calls come back to their routers at
   * once, and its replies in flight still arrive, since closing waits for them). `reason`
   * is what its exclusive and push connections end with (see `ServerPool.close`); with a
   * `reason`, push connections end at once, grace or not (`ServerPool.endPushConnections`).
   */
  retire(pool: ServerPool, graceMs = 0, reason?: () => Error): void {
    if (this.closed || this.retiring.has(pool)) return;
    if (graceMs === 0) return this.closeRetired(pool, reason);
    if (reason !== undefined) pool.endPushConnections(reason);
    const timer = setTimeout(() => {
      this.retiring.delete(pool);
      this.closeRetired(pool, reason);
    }, graceMs);
    timer.unref();
    this.retiring.set(pool, timer);
  }

  /** Retires, after `graceMs`, every keyed pool not in `inUse` and not already retiring; `reason(pool)` as in `retire`. */
  retireAllBut(inUse: ReadonlySet<ServerPool>, graceMs: number, reason?: (pool: ServerPool) => Error): void {
    for (const pool of this.keyed.values()) if (!inUse.has(pool)) this.retire(pool, graceMs, reason && (() => reason(pool)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.retiring.values()) clearTimeout(timer);
    this.retiring.clear();
    // The pools stay listed (`stats()` after close still names them), closed.
    await Promise.all([...[...this.keyed.values(), ...this.owned].map((pool) => pool.close()), ...this.closing]);
  }

  private create(address: Address, prepare: Prepare | null): ServerPool {
    const pool = new ServerPool(address, this.configs.for(address), this.limits, this.events, prepare);
    // A late redirect or topology answer after close() gets a closed pool: nothing opens, nothing leaks.
    if (this.closed) void pool.close();
    return pool;
  }

  private closeRetired(pool: ServerPool, reason?: () => Error): void {
    if (this.keyed.get(pool.key) === pool) this.keyed.delete(pool.key);
    this.owned.delete(pool);
    const closing = pool.close(reason).finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }
}
