import type { EventEmitter } from 'node:events';
import type { Address, ResolvedOptions } from '../options.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { pendingBatch, pendingCall } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import { runExclusive } from '../pool/exclusive.js';
import { NodeSet } from './node-set.js';
import type { EndpointInfo, TakenConnection } from './router.js';
import { SingleMasterRouter } from './router-base.js';

/** Routes everything to one server (plus pools for servers named by `endpoint`). */
export class StandaloneRouter extends SingleMasterRouter {
  readonly primary: ServerPool;
  private readonly nodes: NodeSet;

  constructor(address: Address, options: ResolvedOptions, events: EventEmitter | null) {
    super();
    // Every address here is one the caller gave: none is renamed for TLS or through natMap.
    this.nodes = new NodeSet(options, events, null, false);
    this.primary = this.nodes.pool(address);
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

  async take(options: { key?: CommandArg; endpoint?: Address }): Promise<TakenConnection> {
    const pool = options.endpoint !== undefined ? this.nodes.pool(options.endpoint) : this.primary;
    return { lease: await pool.lease() };
  }

  async endpoints(): Promise<EndpointInfo[]> {
    return [{ address: this.primary.address, type: 'master' }];
  }

  pools(): ServerPool[] {
    return [...this.nodes.pools()];
  }

  close(): Promise<void> {
    return this.nodes.close();
  }

  protected endpointPool(endpoint: Address): ServerPool {
    return this.nodes.pool(endpoint);
  }

  protected masterKey(): string {
    return this.primary.key;
  }
}
