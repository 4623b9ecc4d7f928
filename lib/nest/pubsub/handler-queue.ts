import { isObservable, type Subscription } from 'rxjs';

/** What a drain left undone when its time ran out. */
export interface AbandonedWork {
  /** A call was still running (it goes on in the background; an Observable result is unsubscribed). */
  readonly running: boolean;
  /** Messages received but never handed to the handler. */
  readonly queued: number;
}

/**
 * The messages of one `@RedisSubscribe` method, handed over one at a time in arrival
 * order: each after the previous call settled. A call may return a plain value, a Promise
 * (awaited) or an Observable (subscribed, its completion awaited), as Nest's microservice
 * handlers may. A throw, a rejection or an Observable error goes to `onError`, and the next
 * message still runs.
 *
 * At shutdown `drain()` stops taking messages and lets the queue run out: the running call
 * and the messages already received are still handled, within the time given.
 */
export class HandlerQueue<T> {
  readonly #call: (item: T) => unknown;
  readonly #onError: (error: unknown, item: T) => void;
  #items: T[] = [];
  #running = false;
  /** No more intake (draining or stopped). */
  #closed = false;
  /** The running call's Observable, to cancel it when abandoned. */
  #observed: Subscription | null = null;
  #idle: (() => void) | null = null;

  constructor(call: (item: T) => unknown, onError: (error: unknown, item: T) => void) {
    this.#call = call;
    this.#onError = onError;
  }

  /** Whether a call is running or messages wait. */
  get busy(): boolean {
    return this.#running || this.#items.length > 0;
  }

  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    if (!this.#running) void this.#pump();
  }

  /**
   * Stops intake and resolves once the queue ran out, or after `timeoutMs` with what was
   * abandoned (queued messages are dropped then, and a running Observable unsubscribed).
   */
  drain(timeoutMs: number): Promise<AbandonedWork | null> {
    this.#closed = true;
    if (!this.busy) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = null;
        const abandoned: AbandonedWork = { running: this.#running, queued: this.#items.length };
        this.#items = [];
        this.#observed?.unsubscribe();
        resolve(abandoned);
      }, timeoutMs);
      this.#idle = () => {
        clearTimeout(timer);
        resolve(null);
      };
    });
  }

  async #pump(): Promise<void> {
    this.#running = true;
    let item: T | undefined;
    while (this.#items.length > 0) {
      item = this.#items.shift() as T;
      try {
        await this.#settle(this.#call(item));
      } catch (err) {
        this.#onError(err, item);
      }
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = null;
    idle?.();
  }

  /** What a call returned, as something to await (nothing to wait for a plain value). */
  #settle(result: unknown): unknown {
    if (!isObservable(result)) return result;
    return new Promise<void>((resolve, reject) => {
      const settle = (fn: () => void) => () => {
        this.#observed = null;
        fn();
      };
      const subscription = result.subscribe({ complete: settle(resolve), error: (err: unknown) => settle(() => reject(err))() });
      // Completed synchronously: nothing left to cancel.
      if (!subscription.closed) this.#observed = subscription;
      // An Observable cancelled by drain() neither completes nor errors: settle here so the pump moves on.
      subscription.add(settle(resolve));
    });
  }
}
