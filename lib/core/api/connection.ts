import { assertCommandArgs } from '../resp/encoder.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import type { CallSettings, RespVersion } from '../options.js';
import { validateCallSettings } from '../options.js';
import { RedisError, PipelinedExceptions } from '../errors.js';
import { applySettings, SETTING_KEYS, splitCallArgs, type ViewSettings } from '../call-args.js';
import { blockingTimeoutMs, commandName, isClientReply, isPushCommand } from '../command-kinds.js';
import type { TakenConnection } from '../routing/router.js';
import { parsePipeline } from './pipeline-args.js';
import { commandChannel } from '../diagnostics/channels.js';
import { traceCall, tracePipeline } from '../diagnostics/trace-command.js';
import type { ExclusiveWrites } from '../cache/exclusive-writes.js';
import type { AttributesAfter, DecoderAfter, TypedCalls, Untyped } from '../commands/typed-call.js';

/**
 * An exclusive connection from the pool (`redis.connection()`): transactions, WATCH,
 * and any sequence that must stay on one socket. It behaves as a plain socket: SELECT,
 * MULTI/EXEC (SELECT inside MULTI included) do exactly what redis does. Give it back with
 * `release()` (or `await using`): its lease restores the pool's state (an open MULTI
 * discarded, WATCH cleared, the database selected back) or discards the socket when the
 * borrower changed what cannot be restored (AUTH, HELLO, RESET, CLIENT SETNAME/TRACKING, ...).
 * CLIENT REPLY is refused (a TypeError): replies turned off would reach the wrong caller.
 */
class ConnectionClient {
  readonly #taken: TakenConnection;
  readonly #view: ViewSettings;
  /** With client-side caching: tells the cache what this connection's writes changed. */
  readonly #writes: ExclusiveWrites | null;

  /** @internal Created by `Redis.connection()`, on the lease's database. */
  constructor(taken: TakenConnection, view: ViewSettings, writes: ExclusiveWrites | null = null) {
    this.#taken = taken;
    this.#view = view;
    this.#writes = writes;
  }

  /** `host:port` (or socket path) of the server this connection is on. */
  get address(): string {
    return this.#taken.lease.pool.key;
  }

  /**
   * Sends one command and resolves to its reply. A trailing plain object holds
   * `{ decoder, attributes }`; the database is the socket's (change it with SELECT).
   */
  call(...args: unknown[]): Promise<any> {
    let command: CommandArg[];
    let view: ViewSettings;
    let name: string;
    try {
      const split = splitCallArgs(args, SETTING_KEYS);
      command = split.command as CommandArg[];
      assertCommandArgs(command);
      view = this.#settings(split.options);
      name = commandName(command[0]);
      this.#checkUsable(name, command);
    } catch (err) {
      return Promise.reject(err);
    }
    // No closure here (it would cost every call a context allocation): #traced makes it.
    if (commandChannel.hasSubscribers) return this.#traced(name, command, view);
    return this.#send(name, command, view);
  }

  #traced(name: string, command: CommandArg[], view: ViewSettings): Promise<any> {
    const onSocket: ViewSettings = { decode: view.decode, database: this.#taken.lease.database };
    return traceCall(name, command, onSocket, (traced) => this.#send(name, command, traced));
  }

  #send(name: string, command: CommandArg[], view: ViewSettings): Promise<any> {
    // With a cache, #tellCache holds the closure: here it would cost every call a context.
    const promise = this.#writes === null ? this.#taken.lease.send(command, view.decode, blockingTimeoutMs(name, command) ?? 0) : this.#tellCache(name, command, view);
    const explain = this.#taken.explainError;
    return explain === undefined ? promise : promise.catch((err: Error) => Promise.reject(explain(err)));
  }

  #tellCache(name: string, command: CommandArg[], view: ViewSettings): Promise<unknown> {
    return this.#writes!.call(name, command, () => this.#taken.lease.send(command, view.decode, blockingTimeoutMs(name, command) ?? 0));
  }

  /** Sends the commands in one write; resolves to the replies, or rejects with `PipelinedExceptions`. */
  async pipeline(commands: readonly unknown[][], options?: CallSettings): Promise<any[]> {
    const settings = options === undefined ? undefined : validateCallSettings(options as Record<string, unknown>, SETTING_KEYS, 'pipeline');
    const view = this.#settings(settings);
    const parsed = parsePipeline(commands, view.decode);
    const blockMs = new Array<number>(parsed.commands.length);
    const names = new Array<string>(parsed.commands.length);
    for (let i = 0; i < parsed.commands.length; i++) {
      const c = parsed.commands[i];
      const name = (names[i] = commandName(c[0]));
      this.#checkUsable(name, c);
      blockMs[i] = blockingTimeoutMs(name, c) ?? 0;
    }
    if (commandChannel.hasSubscribers) return this.#tracedBatch(parsed.commands, names, parsed.settings, blockMs);
    return this.#sendBatch(parsed.commands, names, parsed.settings, blockMs);
  }

  #tracedBatch(commands: CommandArg[][], names: string[], settings: DecodeSettings[], blockMs: number[]): Promise<any[]> {
    return tracePipeline(commands, settings, this.#taken.lease.database, (traced) => this.#sendBatch(commands, names, traced, blockMs));
  }

  async #sendBatch(commands: CommandArg[][], names: string[], settings: DecodeSettings[], blockMs: number[]): Promise<any[]> {
    const writes = this.#writes;
    const send = () => this.#taken.lease.sendBatch(commands, settings, blockMs);
    const results = await (writes === null ? send() : writes.batch(commands, names, send));
    const explain = this.#taken.explainError;
    if (explain !== undefined) for (let i = 0; i < results.length; i++) if (results[i] instanceof Error) results[i] = explain(results[i] as Error);
    if (results.some((r) => r instanceof Error)) throw new PipelinedExceptions(results);
    return results;
  }

  /** A view of this connection with other decoder/attributes settings (the database is the socket's: use SELECT). */
  modify(settings: CallSettings): ConnectionClient {
    const change = validateCallSettings(settings as Record<string, unknown>, SETTING_KEYS, 'modify');
    return new ConnectionClient(this.#taken, this.#settings(change), this.#writes);
  }

  /** Gives the connection back to the pool in a clean state (or discards it). Idempotent. */
  release(): Promise<void> {
    return this.#taken.lease.release();
  }

  /** Same as `release()`. */
  close(): Promise<void> {
    return this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  #settings(change: CallSettings | undefined): ViewSettings {
    if (change?.database !== undefined) {
      throw new TypeError('A taken connection has no database option: it is on the database it was taken on (connection({ database })) until you SELECT another');
    }
    return applySettings(this.#view, change);
  }

  #checkUsable(name: string, command: readonly CommandArg[]): void {
    if (this.#taken.lease.ended) throw new RedisError('This connection was released to the pool', 'ERR_RELEASED');
    if (isPushCommand(name)) {
      throw new TypeError(`${name.toUpperCase()} needs a push connection: redis.connection({ push: true })`);
    }
    if (isClientReply(name, command)) {
      throw new TypeError('CLIENT REPLY would leave replies unmatched; it is not supported on a Connection');
    }
  }
}

/** Everything a connection has besides the members that carry its decoder and protocol. */
interface ConnectionMembers extends Omit<ConnectionClient, 'call' | 'pipeline' | 'modify'> {}

/** A connection without types for its commands: every reply is `any` (`Connection` with no type arguments). */
export interface UntypedConnection extends ConnectionMembers {
  /** Sends one command; a trailing plain object holds `{ decoder, attributes }`. */
  call(...args: unknown[]): Promise<any>;
  /** Sends the commands in one write; resolves to the replies, or rejects with `PipelinedExceptions`. */
  pipeline(commands: readonly (readonly unknown[])[], options?: CallSettings): Promise<any[]>;
  /** A view of this connection with other decoder/attributes settings. */
  modify(settings: CallSettings): UntypedConnection;
}

/** A connection of a typed client (`Redis<D, P, At>`): `call`/`pipeline` typed as the client's. */
export interface TypedConnection<D, P extends RespVersion, At> extends ConnectionMembers, TypedCalls<D, P, At> {
  /** A view of this connection with other decoder/attributes settings, typed for them. */
  modify<const S extends CallSettings>(settings: S): Connection<DecoderAfter<D, S>, P, AttributesAfter<At, S>>;
}

/** An exclusive connection; `Connection` (no type arguments) replies `any`, `Connection<'utf8', 3>` types replies. */
export type Connection<D = Untyped, P extends RespVersion = 2, At = false> = [D] extends [Untyped] ? UntypedConnection : TypedConnection<D, P, At>;
/** The class, for `instanceof`. */
export const Connection = ConnectionClient;
