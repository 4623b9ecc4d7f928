import { type CommandArg, type DecodeSettings, UTF8_REPLIES, RAW_REPLIES } from '../resp/types.js';
import { commandName } from '../command-kinds.js';
import { CommunicationError, RedisError } from '../errors.js';
import { parseCommandInfo, type CommandSpec } from './key-specs.js';

/** Sends a command to a server of the client (any master) and resolves to its reply. */
export type QueryServer = (args: readonly CommandArg[], settings: DecodeSettings) => Promise<unknown>;


/**
 * The server's own command table (`COMMAND INFO`), asked once per command name (names first
 * seen in the same tick share one request) and kept, so new commands and modules are known
 * without a list in this library. Cluster routing reads it for a command's slot, the
 * client-side cache for every key a write may change. One per router.
 */
export class CommandSpecs {
  /** `null`: the server does not know the command (it will say so itself). */
  private readonly specs = new Map<string, CommandSpec | null>();
  private readonly loading = new Map<string, Promise<void>>();
  private queued: string[] = [];
  private queuedPromise: Promise<void> | null = null;

  constructor(protected readonly query: QueryServer) {}

  /**
   * The spec for a command (its subcommand's, for containers such as OBJECT or XINFO),
   * `null` for a command the server does not know, `undefined` when not loaded yet.
   */
  lookup(name: string, args: readonly CommandArg[]): CommandSpec | null | undefined {
    const spec = this.specs.get(name);
    if (spec == null || spec.subcommands === null || args.length < 2) return spec;
    return spec.subcommands.get(commandName(args[1])) ?? spec;
  }

  /** Loads the specs of `names` (those not known yet) in one `COMMAND INFO`. */
  load(names: readonly string[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const name of names) {
      if (this.specs.has(name)) continue;
      let wait = this.loading.get(name);
      if (wait === undefined) {
        this.queued.push(name);
        wait = this.queuedPromise ??= Promise.resolve().then(() => this.flush());
        this.loading.set(name, wait);
      }
      waits.push(wait);
    }
    return waits.length === 0 ? Promise.resolve() : waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  private async flush(): Promise<void> {
    const names = this.queued;
    this.queued = [];
    this.queuedPromise = null;
    try {
      const reply = await this.query(['COMMAND', 'INFO', ...names], UTF8_REPLIES).catch((err: unknown) => {
        throw lookupFailed(names, 'COMMAND INFO', err);
      });
      const entries = Array.isArray(reply) ? reply : [];
      for (let i = 0; i < names.length; i++) this.specs.set(names[i], parseCommandInfo(entries[i]));
    } finally {
      // On failure nothing is cached: the next call asks again.
      for (const name of names) this.loading.delete(name);
    }
  }

  /**
   * `COMMAND GETKEYS`: the server's own answer for keys the specs cannot place, as raw
   * bytes. Rejects with the server's `ReplyError` for a command without keys or with
   * arguments it cannot parse.
   */
  async serverKeys(args: readonly CommandArg[]): Promise<Buffer[]> {
    const keys = await this.query(['COMMAND', 'GETKEYS', ...args], RAW_REPLIES);
    return Array.isArray(keys) ? (keys as Buffer[]) : [];
  }
}

/**
 * The caller's command was never sent: looking up its keys failed. Said so, with why, so
 * the error does not read as if the caller's command were `COMMAND`. The lookup's own
 * failure is `cause`, and its code is kept (a refusal such as NOPERM becomes a `RedisError`
 * with that code — it is not the server's answer to the caller's command; a connection
 * error stays a `CommunicationError`).
 */
export function lookupFailed(names: readonly string[], query: 'COMMAND INFO' | 'COMMAND GETKEYS', err: unknown): unknown {
  if (!(err instanceof RedisError)) return err;
  const message = `${names.map((n) => n.toUpperCase()).join(', ')} not sent: looking up its keys in the server's command table (${query}) failed: ${err.message}`;
  if (err instanceof CommunicationError) return new CommunicationError(message, { cause: err, code: err.code });
  return new RedisError(message, err.code, { cause: err });
}
