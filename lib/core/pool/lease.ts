import { type CommandArg, type DecodeSettings, UTF8_REPLIES } from '../resp/types.js';
import { ReplyError } from '../errors.js';
import { commandName, isSpecialCommand, stateEffect, type StateEffect } from '../command-kinds.js';
import { Batch, Pending, pendingBatch, pendingCall } from '../transport/pending.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import type { ServerPool } from './server-pool.js';


/** A command queued inside MULTI whose effect applies only if EXEC's reply says it ran. */
interface Queued {
  readonly effect: StateEffect | null;
  readonly database: number;
}

/**
 * An exclusive connection lent to one borrower (a `Connection`, a `PushConnection`, a
 * blocking call, the client-side cache's invalidation connection). The lease alone sends on
 * it, tracks what the borrower changed — from the server's replies, not from what was sent:
 * a SELECT queued in MULTI counts only once EXEC's reply says it ran, DISCARD drops it, an
 * error reply changes nothing — and ends it exactly once: `release()` restores the pool's
 * state (DISCARD, UNWATCH, SELECT back) or discards the connection when that is not cheap or
 * certain (user, protocol, name, tracking changed, RESET, a closed socket, calls in flight).
 *
 * Only commands that may change state (or run inside MULTI) pay for tracking; the shared
 * connections never go through a lease.
 */
export class Lease {
  #ended = false;
  #database: number;
  #inMulti = false;
  #watching = false;
  #queued: Queued[] = [];
  /** The borrower changed something a release cannot restore: the connection is discarded. */
  #tainted = false;
  /** Send-time view: a MULTI went out and no EXEC/DISCARD since, so replies in between are tracked. */
  #multiSent = false;
  #push = false;

  /** @internal Created by `ServerPool.lease()`. */
  constructor(
    readonly connection: RedisConnection,
    readonly pool: ServerPool,
  ) {
    this.#database = pool.database;
  }

  /** The database the server last confirmed for this connection. */
  get database(): number {
    return this.#database;
  }

  /** Whether the lease ended (released, discarded, or its push connection closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends one command; its reply updates the tracked state before the caller sees it. */
  send(args: readonly CommandArg[], settings: DecodeSettings, blockMs = 0): Promise<unknown> {
    const name = commandName(args[0]);
    const effect = isSpecialCommand(name) ? stateEffect(name, args) : null;
    if (effect === null && !this.#multiSent) {
      const { pending, promise } = pendingCall(args, settings, blockMs);
      this.connection.send(pending);
      return promise;
    }
    this.#noteSent(effect);
    return new Promise((resolve, reject) => {
      const observe = this.#observer(effect, args);
      this.connection.send(
        new Pending(
          args,
          settings,
          (value) => {
            observe(value);
            resolve(value);
          },
          (error) => {
            observe(error);
            reject(error);
          },
          null,
          0,
          blockMs,
        ),
      );
    });
  }

  /** Sends commands in one write; resolves to every reply or error, in order. */
  sendBatch(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[] | DecodeSettings, blockMs?: readonly number[]): Promise<unknown[]> {
    const n = commands.length;
    const effects = new Array<StateEffect | null>(n);
    let tracked = this.#multiSent;
    for (let i = 0; i < n; i++) {
      const name = commandName(commands[i][0]);
      effects[i] = isSpecialCommand(name) ? stateEffect(name, commands[i]) : null;
      if (effects[i] !== null) tracked = true;
    }
    if (!tracked) {
      const { pendings, promise } = pendingBatch(commands, settings, blockMs);
      this.connection.sendMany(pendings);
      return promise;
    }
    if (n === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const batch = new Batch(n, resolve);
      const perCommand = Array.isArray(settings);
      for (let i = 0; i < n; i++) {
        this.#noteSent(effects[i]);
        const observe = this.#observer(effects[i], commands[i]);
        const settle = (value: unknown) => {
          observe(value);
          batch.settle(i, value);
        };
        const s = perCommand ? (settings as readonly DecodeSettings[])[i] : (settings as DecodeSettings);
        this.connection.send(new Pending(commands[i], s, settle, settle, null, 0, blockMs === undefined ? 0 : blockMs[i]));
      }
    });
  }

  /**
   * Gives the connection back in the pool's state, or discards it. Exactly once; later
   * calls do nothing. Calls still in flight (a blocking command) mean a discard: their
   * replies would reach the next borrower.
   */
  async release(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const connection = this.connection;
    if (this.#push || this.#tainted || connection.closed || !connection.idle) {
      this.pool.drop(connection);
      return;
    }
    const restore: CommandArg[][] = [];
    // DISCARD also forgets WATCHed keys.
    if (this.#inMulti) restore.push(['DISCARD']);
    else if (this.#watching) restore.push(['UNWATCH']);
    if (this.#database !== this.pool.database) restore.push(['SELECT', this.pool.database]);
    if (restore.length > 0) {
      const { pendings, promise } = pendingBatch(restore, UTF8_REPLIES);
      connection.sendMany(pendings);
      const results = await promise;
      if (connection.closed || results.some((r) => r instanceof Error)) {
        this.pool.drop(connection);
        return;
      }
    }
    this.pool.giveBack(connection);
  }

  /** Ends the lease and closes the connection for good (its pool slot is freed). */
  discard(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.pool.drop(this.connection);
  }

  /**
   * Turns the connection into a push connection for good: every frame goes to `listener`,
   * and whenever it ends — lost, timed out, the pool closed — the slot goes back to the pool
   * and `onEnd` learns why. `discard()` ends it on purpose (without calling `onEnd`).
   */
  enterPushMode(listener: (frame: unknown) => void, decode: DecodeSettings, onEnd: (error: Error) => void): void {
    this.#push = true;
    this.connection.setCloseHandler((error) => {
      if (!this.#ended) {
        this.#ended = true;
        this.pool.drop(this.connection);
      }
      onEnd(error);
    });
    this.connection.enterPushMode(listener, decode);
  }

  #noteSent(effect: StateEffect | null): void {
    if (effect === 'multi') this.#multiSent = true;
    else if (effect === 'exec' || effect === 'discard') this.#multiSent = false;
  }

  /** What to do with the reply (or failure) of a tracked command. */
  #observer(effect: StateEffect | null, args: readonly CommandArg[]): (reply: unknown) => void {
    const database = effect === 'select' ? Number(commandNameOrValue(args[1])) : -1;
    return (reply) => this.#observe(effect, database, reply);
  }

  #observe(effect: StateEffect | null, database: number, reply: unknown): void {
    // A client-side failure closed the socket: the release discards it whatever the state.
    if (reply instanceof Error && !(reply instanceof ReplyError)) return;
    const failed = reply instanceof ReplyError;
    if (this.#inMulti && effect !== 'exec' && effect !== 'discard' && effect !== 'multi' && effect !== 'watch') {
      // Inside MULTI the reply is QUEUED (or an error: not queued, and EXEC will abort).
      if (!failed) this.#queued.push({ effect, database });
      return;
    }
    switch (effect) {
      case 'exec':
        if (!this.#inMulti) return; // EXEC without MULTI: an error, nothing changed
        if (Array.isArray(reply)) {
          for (let i = 0; i < this.#queued.length; i++) {
            if (!(reply[i] instanceof Error)) this.#apply(this.#queued[i]);
          }
        } else if (reply !== null && !failed && this.#queued.some((q) => q.effect !== null)) {
          this.#tainted = true; // a reply we cannot read: assume the worst
        }
        // EXEC (run, aborted by WATCH, or EXECABORT) ends the transaction and unwatches.
        this.#endMulti();
        return;
      case 'discard':
        if (!failed) this.#endMulti();
        return;
      default:
        if (!failed && effect !== null) this.#apply({ effect, database });
    }
  }

  #apply(q: Queued): void {
    switch (q.effect) {
      case 'select':
        this.#database = q.database;
        break;
      case 'multi':
        this.#inMulti = true;
        this.#queued = [];
        break;
      case 'watch':
        this.#watching = true;
        break;
      case 'unwatch':
        this.#watching = false;
        break;
      case 'taint':
        this.#tainted = true;
        break;
    }
  }

  #endMulti(): void {
    this.#inMulti = false;
    this.#watching = false;
    this.#queued = [];
  }
}

function commandNameOrValue(arg: CommandArg | undefined): string {
  if (arg === undefined) return 'NaN';
  return typeof arg === 'string' ? arg : commandName(arg);
}
