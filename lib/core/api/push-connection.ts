import { assertCommandArgs } from '../resp/encoder.js';
import type { CommandArg, DecodeSettings, ReplyDecoder } from '../resp/types.js';
import { convertValue } from '../resp/convert.js';
import { assertDuration, validateDecoder } from '../options.js';
import { closedByClientError, CommunicationError, RedisError } from '../errors.js';
import { Fifo } from '../transport/fifo.js';
import type { TakenConnection } from '../routing/router.js';
import { isPlainObject } from '../call-args.js';
import type { ArgsOf, CommandName, Untyped } from '../commands/typed-call.js';
import { commandName } from '../command-kinds.js';
import { commandChannel } from '../diagnostics/channels.js';
import { traceCall } from '../diagnostics/trace-command.js';

export interface NextMessageOptions {
  /** Milliseconds to wait; resolves to `null` when nothing came. Default: wait forever. */
  timeout?: number;
  decoder?: ReplyDecoder;
  attributes?: boolean;
}

interface Waiter {
  resolve(message: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  decoder: ReplyDecoder;
  attributes: boolean;
  /** Timed out: skipped when a message arrives, so no message is handed to nobody. */
  done: boolean;
}

/**
 * A connection in push mode (`redis.connection({ push: true })`): SUBSCRIBE and friends,
 * MONITOR, and anything the server sends unasked. `call()` resolves once the command is
 * written; replies and messages come from `nextMessage()` or `for await`.
 *
 * Messages are kept as Buffers until read, so each read may pick its own decoder without
 * losing bytes. A lost connection ends iteration with a `CommunicationError`; after a
 * sentinel failover the connection to the old master ends with `MasterChangedError` (code
 * `ERR_MASTER_CHANGED`), and one on a cluster node that left the topology with
 * `NodeRemovedError` (`ERR_NODE_REMOVED`) — both `TopologyChangedError`s. Subscribers that
 * must survive these open a new push connection, which goes where the topology now points
 * (the Nest module does this for you). Only `close()` — yours or the client's — ends it with
 * `ERR_CLIENT_CLOSED`, which ends iteration quietly.
 */
class PushConnectionClient implements AsyncIterable<unknown> {
  readonly #taken: TakenConnection;
  readonly #defaults: DecodeSettings;
  readonly #messages = new Fifo<unknown>();
  readonly #waiters = new Fifo<Waiter>();
  #error: Error | null = null;
  readonly #closeListeners: ((error: Error) => void)[] = [];

  /** @internal Created by `Redis.connection({ push: true })`. */
  constructor(taken: TakenConnection, defaults: DecodeSettings) {
    this.#taken = taken;
    this.#defaults = defaults;
    taken.lease.enterPushMode(
      (message) => this.#deliver(message),
      // Always decoded with attributes, so a read asking for them learns a frame's RESP type
      // ('Push' vs 'Array'); a read without them unwraps (convertValue).
      { decoder: null, attributes: true },
      (error) => this.#end(error),
    );
  }

  /** `host:port` (or socket path) of the server this connection is on. */
  get address(): string {
    return this.#taken.lease.pool.key;
  }

  /** Whether the connection is gone (closed by you, or lost). */
  get closed(): boolean {
    return this.#error !== null;
  }

  /** Sends a command; resolves once written (its reply arrives as a message). */
  call(...args: unknown[]): Promise<void> {
    if (args.length > 0 && isPlainObject(args[args.length - 1])) args = args.slice(0, -1);
    try {
      assertCommandArgs(args);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    // Traced like any call (a span per SUBSCRIBE, PUBLISH, ...), settled when written as the call is.
    if (commandChannel.hasSubscribers) return this.#traced(args as CommandArg[]);
    return this.#taken.lease.send(args as CommandArg[], this.#defaults) as Promise<void>;
  }

  #traced(command: CommandArg[]): Promise<void> {
    const onSocket = { decode: this.#defaults, database: this.#taken.lease.database };
    return traceCall(commandName(command[0]), command, onSocket, (traced) => this.#taken.lease.send(command, traced.decode)) as Promise<void>;
  }

  /** The next message, or `null` once `timeout` ms pass without one. */
  nextMessage(options: NextMessageOptions = {}): Promise<any> {
    if (!isPlainObject(options as unknown)) return Promise.reject(new TypeError('nextMessage() takes an options object'));
    const { timeout } = options;
    if (timeout !== undefined) {
      try {
        assertDuration(timeout, 'nextMessage() timeout');
      } catch (err) {
        return Promise.reject(err);
      }
    }
    let decoder: ReplyDecoder;
    try {
      decoder = options.decoder === undefined ? this.#defaults.decoder : validateDecoder(options.decoder);
    } catch (err) {
      return Promise.reject(err);
    }
    const attributes = options.attributes ?? this.#defaults.attributes;
    if (this.#messages.length > 0) return Promise.resolve(convertValue(this.#messages.shift(), decoder, attributes));
    if (this.#error !== null) return Promise.reject(this.#error);
    if (timeout === 0) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, decoder, attributes, done: false };
      if (timeout !== undefined) {
        waiter.timer = setTimeout(() => {
          waiter.done = true;
          resolve(null);
        }, timeout);
      }
      this.#waiters.push(waiter);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<any> {
    while (true) {
      if (this.#error !== null && this.#messages.length === 0) {
        if (this.#error instanceof CommunicationError && this.#error.code === 'ERR_CLIENT_CLOSED') return;
        throw this.#error;
      }
      yield await this.nextMessage();
    }
  }

  /** Called once when the connection ends, with the reason (`ERR_CLIENT_CLOSED` when you closed it). */
  onClose(listener: (error: Error) => void): void {
    if (this.#error !== null) listener(this.#error);
    else this.#closeListeners.push(listener);
  }

  /** Closes the connection; its pool slot is freed (a subscribed socket is never reused). */
  async close(): Promise<void> {
    this.#end(closedByClientError(`Push connection to ${this.address}`));
    // Also after a loss: the lease frees the slot once, whichever comes first.
    this.#taken.lease.discard();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #deliver(message: unknown): void {
    let waiter: Waiter | undefined;
    while ((waiter = this.#waiters.shift()) !== undefined) {
      if (waiter.done) continue;
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve(convertValue(message, waiter.decoder, waiter.attributes));
      return;
    }
    this.#messages.push(message);
  }

  #end(error: Error): void {
    if (this.#error !== null) return;
    this.#error = error instanceof RedisError ? error : new CommunicationError(error.message, { cause: error });
    let waiter: Waiter | undefined;
    while ((waiter = this.#waiters.shift()) !== undefined) {
      if (waiter.done) continue;
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      if (error instanceof CommunicationError && error.code === 'ERR_CLIENT_CLOSED') waiter.resolve(null);
      else waiter.reject(this.#error);
    }
    for (const listener of this.#closeListeners.splice(0)) listener(this.#error);
  }
}

/** Everything a push connection has besides `call`. */
interface PushConnectionMembers extends Omit<PushConnectionClient, 'call'> {}

/** A push connection of an untyped client: `call` takes any arguments. */
export interface UntypedPushConnection extends PushConnectionMembers {
  /** Sends a command; resolves once written (its reply arrives as a message). */
  call(...args: unknown[]): Promise<void>;
}

/**
 * A push connection of a typed client: `call` checks arguments as the client's does (it
 * resolves once written, so there is no reply to type). Messages stay `any`: what arrives
 * (subscribe confirmations, messages, MONITOR lines, RESP3 replies) depends on the commands sent.
 */
export interface TypedPushConnection extends PushConnectionMembers {
  /** Sends a command; resolves once written (its reply arrives as a message). */
  call<N extends CommandName, const Args extends ArgsOf<N>>(name: N, ...args: Args): Promise<void>;
}

/** A push connection; typed (`call` arguments checked) when it comes from a typed client. */
export type PushConnection<D = Untyped> = [D] extends [Untyped] ? UntypedPushConnection : TypedPushConnection;
/** The class, for `instanceof`. */
export const PushConnection = PushConnectionClient;
