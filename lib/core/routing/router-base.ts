import type { Address } from '../options.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { pendingCall } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import { runBatchExclusive, runExclusive } from '../pool/exclusive.js';
import type { EndpointInfo, Router, TakenConnection } from './router.js';
import { CommandSpecs } from '../commands/command-specs.js';

/** A command on one pool: on its shared connection, or (`blockMs` set) on an exclusive one. */
export function sendOn(pool: ServerPool, args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<unknown> {
  if (blockMs !== undefined) return runExclusive(pool, args, settings, database, blockMs);
  const { pending, promise } = pendingCall(args, settings);
  pool.send(pending, database);
  return promise;
}

/**
 * What every router does the same way once it knows which node a call names; a router
 * adds only the choice of a node (the way a pool sits on its pool base).
 */
export abstract class RouterBase implements Router {
  abstract readonly commands: CommandSpecs;
  abstract send(args: readonly CommandArg[], settings: DecodeSettings, database: number): Promise<unknown>;
  abstract pipeline(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[], database: number): Promise<unknown[]>;
  abstract sendBlocking(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs: number): Promise<unknown>;
  abstract fanOut(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<Map<string, unknown>>;
  abstract take(options: { key?: CommandArg; endpoint?: Address }): Promise<TakenConnection>;
  abstract endpoints(): Promise<EndpointInfo[]>;
  abstract pools(): ServerPool[];
  abstract close(): Promise<void>;
  /** The pool for a server the caller named (`endpoint`). */
  protected abstract endpointPool(endpoint: Address): ServerPool;

  sendTo(endpoint: Address, args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<unknown> {
    return sendOn(this.endpointPool(endpoint), args, settings, database, blockMs);
  }

  /** On a connection taken like `connection({ key })` with the first command's first argument (one master: the master). */
  async pipelineBlocking(
    commands: readonly (readonly CommandArg[])[],
    settings: readonly DecodeSettings[],
    database: number,
    blockMs: readonly number[],
  ): Promise<unknown[]> {
    const { lease } = await this.take({ key: commands[0]?.[1] });
    return runBatchExclusive(lease, commands, settings, database, blockMs);
  }
}

/**
 * A topology with one master (standalone, sentinel): a fan-out is the master's reply,
 * through the router's own `send`/`sendBlocking`, so it follows the master like any call.
 */
export abstract class SingleMasterRouter extends RouterBase {
  /** Asked of the master, like any call (only the client-side cache needs it here: routing does not). */
  readonly commands = new CommandSpecs((args, settings) => this.send(args, settings, 0));

  /** The master's `host:port`, as a fan-out reports it. */
  protected abstract masterKey(): string;

  async fanOut(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<Map<string, unknown>> {
    const sent = blockMs === undefined ? this.send(args, settings, database) : this.sendBlocking(args, settings, database, blockMs);
    const result = await sent.catch((err: unknown) => err);
    return new Map([[this.masterKey(), result]]);
  }
}
