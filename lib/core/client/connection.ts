import { assertCommandArgs } from '../resp/encoder.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import type { CallSettings } from '../options.js';
import { validateCallSettings } from '../options.js';
import { RedisError, PipelinedExceptions } from '../errors.js';
import { applySettings, SETTING_KEYS, splitCallArgs, type ViewSettings } from '../call-args.js';
import { blockingTimeoutMs, commandName, isPushCommand } from '../command-kinds.js';
import { Pending, pendingCall } from '../connection/pending.js';
import type { TakenConnection } from '../router.js';
import { sendBatch } from '../pool/exclusive.js';
import { parsePipeline } from './pipeline-args.js';
import { commandChannel } from '../diagnostics/channels.js';
import { traceCall, tracePipeline } from '../diagnostics/trace-command.js';

/** State shared by a connection handle and its `modify()` views. */
interface TakenState {
  readonly taken: TakenConnection;
  released: boolean;
  /** Inside MULTI: a release must DISCARD. */
  inMulti: boolean;
  /** WATCH active: a release must UNWATCH. */
  watching: boolean;
}

/**
 * An exclusive connection from the pool (`redis.connection()`): transactions, WATCH,
 * and any sequence that must stay on one socket. Give it back with `release()` (or
 * `await using`); an open MULTI is discarded, WATCH cleared and the database restored.
 */
export class Connection {
  readonly #state: TakenState;
  readonly #view: ViewSettings;

  /** @internal Created by `Redis.connection()`. */
  constructor(state: TakenState | TakenConnection, view: ViewSettings) {
    this.#state = 'taken' in state ? state : { taken: state, released: false, inMulti: false, watching: false };
    this.#view = view;
  }

  /** `host:port` (or socket path) of the server this connection is on. */
  get address(): string {
    return this.#state.taken.pool.key;
  }

  /** Sends one command and resolves to its reply. A trailing plain object holds `{ decoder, attributes, database }`. */
  call(...args: unknown[]): Promise<any> {
    let command: unknown[];
    let view: ViewSettings;
    try {
      const split = splitCallArgs(args, SETTING_KEYS);
      command = split.command;
      assertCommandArgs(command);
      view = applySettings(this.#view, split.options);
      this.#checkUsable(command as CommandArg[]);
    } catch (err) {
      return Promise.reject(err);
    }
    const name = commandName((command as CommandArg[])[0]);
    this.#ensureDatabase(view.database, name);
    this.#track(name, command as CommandArg[]);
    // No closure here (it would cost every call a context allocation): #traced makes it.
    if (commandChannel.hasSubscribers) return this.#traced(name, command as CommandArg[], view);
    return this.#send(name, command as CommandArg[], view);
  }

  #traced(name: string, command: CommandArg[], view: ViewSettings): Promise<any> {
    return traceCall(name, command, view, (traced) => this.#send(name, command, traced));
  }

  #send(name: string, command: CommandArg[], view: ViewSettings): Promise<any> {
    const { pending, promise } = pendingCall(command, view.decode, blockingTimeoutMs(name, command) ?? 0);
    this.#state.taken.connection.send(pending);
    const explain = this.#state.taken.explainError;
    return explain === undefined ? promise : promise.catch((err: Error) => Promise.reject(explain(err)));
  }

  /** Sends the commands in one write; resolves to the replies, or rejects with `PipelinedExceptions`. */
  async pipeline(commands: readonly unknown[][], options?: CallSettings): Promise<any[]> {
    const settings = options === undefined ? undefined : validateCallSettings(options as Record<string, unknown>, SETTING_KEYS, 'pipeline');
    const view = applySettings(this.#view, settings);
    const parsed = parsePipeline(commands, view.decode);
    for (const c of parsed.commands) this.#checkUsable(c);
    this.#ensureDatabase(view.database, '');
    for (const c of parsed.commands) this.#track(commandName(c[0]), c);
    if (commandChannel.hasSubscribers) return this.#tracedBatch(parsed.commands, parsed.settings, view.database);
    return this.#sendBatch(parsed.commands, parsed.settings);
  }

  #tracedBatch(commands: CommandArg[][], settings: DecodeSettings[], database: number): Promise<any[]> {
    return tracePipeline(commands, settings, database, (traced) => this.#sendBatch(commands, traced));
  }

  async #sendBatch(commands: CommandArg[][], settings: DecodeSettings[]): Promise<any[]> {
    const results = await sendBatch(this.#state.taken.connection, commands, settings);
    const explain = this.#state.taken.explainError;
    if (explain !== undefined) for (let i = 0; i < results.length; i++) if (results[i] instanceof Error) results[i] = explain(results[i] as Error);
    if (results.some((r) => r instanceof Error)) throw new PipelinedExceptions(results);
    return results;
  }

  /** A view of this connection with other decoder/attributes/database settings. */
  modify(settings: CallSettings): Connection {
    const change = validateCallSettings(settings as Record<string, unknown>, SETTING_KEYS, 'modify');
    return new Connection(this.#state, applySettings(this.#view, change));
  }

  /** Gives the connection back to the pool in a clean state. Idempotent. */
  async release(): Promise<void> {
    const state = this.#state;
    if (state.released) return;
    state.released = true;
    const { connection, pool } = state.taken;
    if (connection.closed || !connection.idle) {
      // Calls still waiting (a blocking command, say) would leave a reply for the next user.
      pool.discard(connection);
      return;
    }
    const reset: CommandArg[][] = [];
    if (state.inMulti) reset.push(['DISCARD']);
    else if (state.watching) reset.push(['UNWATCH']);
    if (connection.database !== pool.database) reset.push(['SELECT', pool.database]);
    if (reset.length > 0) {
      const results = await sendBatch(connection, reset, UTF8);
      if (results.some((r) => r instanceof Error)) {
        pool.discard(connection);
        return;
      }
      connection.database = pool.database;
    }
    pool.release(connection);
  }

  /** Same as `release()`. */
  close(): Promise<void> {
    return this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  #checkUsable(command: readonly CommandArg[]): void {
    if (this.#state.released) throw new RedisError('This connection was released to the pool', 'ERR_RELEASED');
    const name = commandName(command[0]);
    if (isPushCommand(name)) {
      throw new TypeError(`${name.toUpperCase()} needs a push connection: redis.connection({ push: true })`);
    }
  }

  /** SELECTs the view's database first when the socket is on another one (sent in the same write). */
  #ensureDatabase(database: number, name: string): void {
    const connection = this.#state.taken.connection;
    if (database === connection.database || name === 'select') return;
    // Nobody awaits this SELECT: should the server refuse it, the socket is on an unknown
    // database, so it is discarded (and the command after it fails) rather than trusted.
    const onRefused = (error: Error) => connection.destroy(error);
    connection.send(new Pending(['SELECT', database], UTF8, noop, onRefused, null, 0, 0));
    connection.database = database;
  }

  #track(name: string, command: readonly CommandArg[]): void {
    const state = this.#state;
    switch (name) {
      case 'multi':
        state.inMulti = true;
        break;
      case 'exec':
      case 'discard':
        state.inMulti = false;
        state.watching = false;
        break;
      case 'watch':
        state.watching = true;
        break;
      case 'unwatch':
        state.watching = false;
        break;
      case 'select':
        if (command.length === 2) state.taken.connection.database = Number(command[1]);
        break;
      case 'reset':
        state.inMulti = false;
        state.watching = false;
        state.taken.connection.database = 0;
        break;
    }
  }
}

const UTF8 = { decoder: 'utf8', attributes: false } as const;
function noop(): void {}

export type { TakenState };
