import type { Address } from '../options.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import type { Lease } from '../pool/lease.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { CommandSpecs } from '../commands/command-specs.js';

/** One server the client talks to, as `endpoints()` lists it. */
export interface EndpointInfo {
  readonly address: Address;
  readonly type: 'master' | 'replica';
}

/** An exclusive connection, lent through its lease (which alone sends on it and gives it back). */
export interface TakenConnection {
  readonly lease: Lease;
  /** Cluster: turns an error of a command on this connection into one that says why (a key of another node in a transaction). */
  readonly explainError?: (error: Error) => Error;
}

/** Cluster: the master serving each hash slot, by `host:port` (`''` for a hole), and each master's address. */
export interface SlotOwners {
  readonly owners: readonly string[];
  readonly addresses: ReadonlyMap<string, Address>;
}

/**
 * What the `Redis` facade dispatches through. One implementation per topology
 * (standalone server, cluster, sentinel-managed master); the facade validates input and
 * classifies commands, the router decides where each command goes.
 */
export interface Router {
  /** The server's command table (COMMAND INFO), loaded per name on first use: key positions, flags. */
  readonly commands: CommandSpecs;
  /** A command on the shared, multiplexed connection of the owning server. */
  send(args: readonly CommandArg[], settings: DecodeSettings, database: number): Promise<unknown>;
  /** Many commands; resolves to every reply or error (as values), in the caller's order. */
  pipeline(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[], database: number): Promise<unknown[]>;
  /** A blocking command on an exclusive connection, so it stalls no one else. */
  sendBlocking(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs: number): Promise<unknown>;
  /**
   * A pipeline holding a blocking command, on one exclusive connection (`blockMs[i]`: the
   * extra time command i may hold it, 0 for none); every reply or error, in order.
   */
  pipelineBlocking(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[], database: number, blockMs: readonly number[]): Promise<unknown[]>;
  /** A command on one named server; a blocking one (`blockMs` set) on an exclusive connection there. */
  sendTo(endpoint: Address, args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<unknown>;
  /** A command on every master, concurrently: `'host:port'` → reply or Error. Blocking ones on exclusive connections. */
  fanOut(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<Map<string, unknown>>;
  /** An exclusive connection to the server owning `key`, or to `endpoint`, or to any master. */
  take(options: { key?: CommandArg; endpoint?: Address }): Promise<TakenConnection>;
  endpoints(): Promise<EndpointInfo[]>;
  /** Cluster only: the slot map after a refresh that started after this call (`scanIterator` compares two). */
  slotOwners?(): Promise<SlotOwners>;
  /** Every pool the router holds now (for `redis.stats()`). */
  pools(): ServerPool[];
  close(): Promise<void>;
}
