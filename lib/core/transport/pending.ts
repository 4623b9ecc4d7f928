import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { ReplyError } from '../errors.js';

/**
 * Several commands whose replies are collected into one array and settled once,
 * so a pipeline of 1000 costs one promise, not 1000.
 */
export class Batch {
  readonly results: unknown[];
  remaining: number;
  failed = false;
  constructor(
    size: number,
    readonly resolve: (results: unknown[]) => void,
  ) {
    this.results = new Array(size);
    this.remaining = size;
  }
  settle(index: number, value: unknown): void {
    this.results[index] = value;
    if (value instanceof Error) this.failed = true;
    if (--this.remaining === 0) this.resolve(this.results);
  }
}

/**
 * One command on its way: queued, written, or waiting for its reply.
 * A plain object with fixed fields (one shape for the hot path); either it settles its
 * own promise (`resolve`/`reject`) or a slot of a `Batch`.
 */
export class Pending {
  /** Set when written, if the connection has a socket timeout. */
  deadline = 0;
  constructor(
    readonly args: readonly CommandArg[],
    readonly settings: DecodeSettings,
    readonly resolve: ((value: unknown) => void) | null,
    readonly reject: ((error: Error) => void) | null,
    readonly batch: Batch | null,
    readonly index: number,
    /** Extra time a blocking command may legitimately wait, in ms (0 for none). */
    readonly blockMs: number,
  ) {}

  /** Delivers a reply: error replies reject, everything else resolves. */
  settle(value: unknown): void {
    if (this.batch !== null) this.batch.settle(this.index, value);
    else if (value instanceof ReplyError) this.reject!(value);
    else this.resolve!(value);
  }

  /** Fails the command with a client-side error (I/O, protocol, closed). */
  fail(error: Error): void {
    if (this.batch !== null) this.batch.settle(this.index, error);
    else this.reject!(error);
  }
}

/** A single command with its own promise. */
export function pendingCall(args: readonly CommandArg[], settings: DecodeSettings, blockMs = 0): { pending: Pending; promise: Promise<unknown> } {
  let resolve!: (v: unknown) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { pending: new Pending(args, settings, resolve, reject, null, 0, blockMs), promise };
}

/** Many commands settled together; the promise resolves to every reply or error, in order. */
export function pendingBatch(
  commands: readonly (readonly CommandArg[])[],
  settings: readonly DecodeSettings[] | DecodeSettings,
  /** Per command: extra time a blocking command may wait (see `Pending.blockMs`). */
  blockMs?: readonly number[],
): { pendings: Pending[]; promise: Promise<unknown[]> } {
  let resolve!: (v: unknown[]) => void;
  const promise = new Promise<unknown[]>((res) => {
    resolve = res;
  });
  const batch = new Batch(commands.length, resolve);
  const pendings = new Array<Pending>(commands.length);
  const perCommand = Array.isArray(settings);
  for (let i = 0; i < commands.length; i++) {
    const s = perCommand ? (settings as readonly DecodeSettings[])[i] : (settings as DecodeSettings);
    pendings[i] = new Pending(commands[i], s, null, null, batch, i, blockMs === undefined ? 0 : blockMs[i]);
  }
  if (commands.length === 0) resolve([]);
  return { pendings, promise };
}
