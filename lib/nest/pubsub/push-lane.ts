import type { Logger } from '@nestjs/common';
import type { Redis } from '../../core/redis.js';
import type { PushConnection } from '../../core/client/push-connection.js';
import { RESUBSCRIBE_BACKOFF_MAX, RESUBSCRIBE_BACKOFF_MIN } from '../justredis.constants.js';
import { redact } from '../utils/redact.util.js';
import { TOPIC_COMMANDS, topicKey, type Topic, type TopicKind } from './subscription.js';

/** Where a lane hands what arrives: data messages by topic key. */
export interface LaneSink {
  deliver(key: string, channel: string, pattern: string | undefined, data: Buffer): void;
  /** The lane's connection is up (`'connected'`) or was lost / could not be opened (`'lost'`). */
  laneStatus?(status: LaneStatus): void;
}

export type LaneStatus = 'connected' | 'lost';

interface Confirmation {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

const CONFIRM_KIND: Record<string, TopicKind> = { subscribe: 'channel', psubscribe: 'pattern', ssubscribe: 'shard' };

/**
 * One push connection and the topics it should be subscribed to. Opens on the first
 * topic; when the connection is lost it reconnects with exponential backoff and full
 * jitter and subscribes to every topic again, logging the loss and the recovery once each.
 */
export class PushLane {
  readonly #redis: Redis;
  readonly #routeKey: string | undefined;
  readonly #sink: LaneSink;
  readonly #logger: Logger;
  readonly #label: string;
  readonly #topics = new Map<string, Topic>();
  readonly #confirmations = new Map<string, Confirmation>();
  #push: PushConnection | null = null;
  #connecting: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  /** Inside a loss episode: the next successful connect is logged as the recovery. */
  #lost = false;
  #closed = false;

  /** `routeKey`: a cluster key whose owner the connection must be on (sharded channels). */
  constructor(redis: Redis, routeKey: string | undefined, sink: LaneSink, logger: Logger, label: string) {
    this.#redis = redis;
    this.#routeKey = routeKey;
    this.#sink = sink;
    this.#logger = logger;
    this.#label = label;
  }

  get size(): number {
    return this.#topics.size;
  }

  /** Subscribes; the promise settles once the server confirmed it, or the lane could not connect (it keeps retrying). */
  add(topic: Topic): Promise<void> {
    const key = topicKey(topic);
    if (this.#closed) return Promise.resolve();
    this.#topics.set(key, topic);
    const confirmation = this.#expect(key);
    if (this.#push !== null) this.#send(this.#push, 'subscribe', [topic]);
    else if (this.#retryTimer === null) this.#connect();
    return confirmation;
  }

  remove(topic: Topic): void {
    const key = topicKey(topic);
    if (!this.#topics.delete(key)) return;
    this.#settle(key);
    if (this.#push !== null) this.#send(this.#push, 'unsubscribe', [topic]);
  }

  /** Resolves once every pending subscription is confirmed (or the lane is retrying). */
  settled(): Promise<void> {
    return Promise.all([...this.#confirmations.values()].map((c) => c.promise)).then(() => undefined);
  }

  /** Ends the subscriptions (the server drops them with the connection) and stops retrying. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#topics.clear();
    for (const key of [...this.#confirmations.keys()]) this.#settle(key);
    await this.#connecting;
    const push = this.#push;
    this.#push = null;
    await push?.close();
  }

  #expect(key: string): Promise<void> {
    let confirmation = this.#confirmations.get(key);
    if (confirmation === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      confirmation = { promise, resolve };
      this.#confirmations.set(key, confirmation);
    }
    return confirmation.promise;
  }

  #settle(key: string): void {
    const confirmation = this.#confirmations.get(key);
    if (confirmation === undefined) return;
    this.#confirmations.delete(key);
    confirmation.resolve();
  }

  #settleAll(): void {
    for (const key of [...this.#confirmations.keys()]) this.#settle(key);
  }

  #connect(): void {
    if (this.#closed || this.#push !== null || this.#connecting !== null) return;
    const options = this.#routeKey === undefined ? { push: true as const } : { push: true as const, key: this.#routeKey };
    this.#connecting = this.#redis.connection(options).then(
      (push) => {
        this.#connecting = null;
        if (this.#closed) return push.close();
        this.#push = push;
        this.#attempt = 0;
        void this.#read(push);
        const topics = [...this.#topics.values()];
        if (topics.length > 0) this.#send(push, 'subscribe', topics);
        this.#sink.laneStatus?.('connected');
        if (this.#lost) {
          this.#lost = false;
          this.#logger.log(`${this.#label}: pub/sub connection to ${push.address} restored, ${topics.length} subscription(s) renewed`);
        }
      },
      (err: unknown) => {
        this.#connecting = null;
        if (this.#closed) return;
        if (!this.#lost) {
          this.#lost = true;
          this.#logger.warn(`${this.#label}: pub/sub connection failed (${describe(err)}); retrying with backoff`);
        }
        this.#settleAll();
        this.#sink.laneStatus?.('lost');
        this.#scheduleRetry();
      },
    );
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer !== null) return;
    if (this.#topics.size === 0) return; // reconnect on the next add()
    const ceiling = Math.min(RESUBSCRIBE_BACKOFF_MAX, RESUBSCRIBE_BACKOFF_MIN * 2 ** this.#attempt);
    this.#attempt++;
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  async #read(push: PushConnection): Promise<void> {
    try {
      for (;;) {
        const message: unknown = await push.nextMessage({ decoder: null });
        if (message === null) return; // closed by us
        if (Array.isArray(message)) this.#onMessage(message);
      }
    } catch (err) {
      if (this.#push !== push || this.#closed) return;
      this.#push = null;
      if (!this.#lost) {
        this.#lost = true;
        this.#logger.warn(
          `${this.#label}: pub/sub connection to ${push.address} lost (${describe(err)}); resubscribing ${this.#topics.size} subscription(s) with backoff`,
        );
      }
      this.#sink.laneStatus?.('lost');
      this.#scheduleRetry();
    }
  }

  #onMessage(message: unknown[]): void {
    const type = text(message[0]);
    switch (type) {
      case 'message':
        this.#sink.deliver(`channel:${text(message[1])}`, text(message[1]), undefined, toBuffer(message[2]));
        return;
      case 'smessage':
        this.#sink.deliver(`shard:${text(message[1])}`, text(message[1]), undefined, toBuffer(message[2]));
        return;
      case 'pmessage':
        this.#sink.deliver(`pattern:${text(message[1])}`, text(message[2]), text(message[1]), toBuffer(message[3]));
        return;
      default: {
        const kind = CONFIRM_KIND[type];
        if (kind !== undefined) this.#settle(`${kind}:${text(message[1])}`);
      }
    }
  }

  #send(push: PushConnection, action: 'subscribe' | 'unsubscribe', topics: readonly Topic[]): void {
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      const names = topics.filter((t) => t.kind === kind).map((t) => t.name);
      if (names.length === 0) continue;
      const command = action === 'subscribe' ? TOPIC_COMMANDS[kind].subscribe : TOPIC_COMMANDS[kind].unsubscribe;
      // A failed write means the connection is gone: the read loop sees it and resubscribes.
      push.call(command, ...names).catch(() => {});
    }
  }
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function toBuffer(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value));
}

function describe(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}
