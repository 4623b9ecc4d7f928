import type { EventEmitter } from 'node:events';
import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { pendingBatch, pendingCall } from '../connection/pending.js';
import type { ConnectConfig } from '../connection/connect.js';
import type { RedisConnection } from '../connection/redis-connection.js';
import type { EndpointInfo, Router, TakenConnection } from '../router.js';
import { ServerPool } from './server-pool.js';
import { runExclusive } from './exclusive.js';

export interface PoolLimits {
  readonly maxConnections: number;
  readonly waitTimeout: number | undefined;
}

/** Routes everything to one server (plus pools for servers named by `endpoint`). */
export class StandaloneRouter implements Router {
  readonly primary: ServerPool;
  private readonly others = new Map<string, ServerPool>();

  constructor(
    address: Address,
    private readonly config: ConnectConfig,
    private readonly limits: PoolLimits,
    private readonly events: EventEmitter | null,
    private readonly prepare: ((connection: RedisConnection) => Promise<void>) | null = null,
  ) {
    this.primary = new ServerPool(address, config, limits, events, prepare);
  }

  send(args: readonly CommandArg[], settings: DecodeSettings, database: number): Promise<unknown> {
    const { pending, promise } = pendingCall(args, settings);
    this.primary.send(pending, database);
    return promise;
  }

  pipeline(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[], database: number): Promise<unknown[]> {
    const { pendings, promise } = pendingBatch(commands, settings);
    this.primary.sendMany(pendings, database);
    return promise;
  }

  sendBlocking(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs: number): Promise<unknown> {
    return runExclusive(this.primary, args, settings, database, blockMs);
  }

  sendTo(endpoint: Address, args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<unknown> {
    const pool = this.poolFor(endpoint);
    if (blockMs !== undefined) return runExclusive(pool, args, settings, database, blockMs);
    const { pending, promise } = pendingCall(args, settings);
    pool.send(pending, database);
    return promise;
  }

  async fanOut(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<Map<string, unknown>> {
    const sent = blockMs === undefined ? this.send(args, settings, database) : runExclusive(this.primary, args, settings, database, blockMs);
    const result = await sent.catch((err: unknown) => err);
    return new Map([[this.primary.key, result]]);
  }

  async take(options: { key?: CommandArg; endpoint?: Address }): Promise<TakenConnection> {
    const pool = options.endpoint !== undefined ? this.poolFor(options.endpoint) : this.primary;
    return { lease: await pool.lease() };
  }

  async endpoints(): Promise<EndpointInfo[]> {
    return [{ address: this.primary.address, type: 'master' }];
  }

  pools(): ServerPool[] {
    return [this.primary, ...this.others.values()];
  }

  private poolFor(endpoint: Address): ServerPool {
    const key = formatAddress(endpoint);
    if (key === this.primary.key) return this.primary;
    let pool = this.others.get(key);
    if (pool === undefined) {
      pool = new ServerPool(endpoint, this.config, this.limits, this.events, this.prepare);
      this.others.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), ...[...this.others.values()].map((p) => p.close())]);
  }
}
