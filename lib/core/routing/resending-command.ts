import { Pending, type Batch } from '../transport/pending.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import type { ServerPool } from '../pool/server-pool.js';

/**
 * A command a router may send again. It is a `Pending` (the connection settles it like any
 * other) whose subclass intercepts the answers that mean "not done here, send it elsewhere"
 * and hands the same object back to its router, instead of a `.catch` chained on every
 * call's promise: a resend costs no allocation of its own.
 */
export abstract class ResendingCommand<Handler> extends Pending {
  /** Sent to a replica: its refusals and failures send it to a master instead. */
  onReplica = false;
  /** Keep off replicas from now on (a replica was loading, stale or unreachable). */
  masterOnly = false;
  /** Where it was last sent. */
  node: ServerPool | null = null;

  constructor(
    args: readonly CommandArg[],
    settings: DecodeSettings,
    resolve: ((value: unknown) => void) | null,
    reject: ((error: Error) => void) | null,
    batch: Batch | null,
    index: number,
    /** The router it goes back to. */
    readonly handler: Handler,
    readonly database: number,
    /** Read-only: may go to a replica. */
    readonly readOnly: boolean,
  ) {
    super(args, settings, resolve, reject, batch, index, 0);
  }

  /** Settles for good, bypassing the interception (a final error after resends). */
  giveUp(error: Error): void {
    super.fail(error);
  }
}
