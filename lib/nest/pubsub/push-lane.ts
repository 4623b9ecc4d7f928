import type { Logger } from '@nestjs/common';
import { type PushConnection, type Redis, ReplyError } from '../../core/index.js';
import { RESUBSCRIBE_BACKOFF_MAX, RESUBSCRIBE_BACKOFF_MIN } from '../justredis.constants.js';
import { redact } from '../utils/redact.util.js';
import { ACKNOWLEDGEMENTS, SentCommands } from './sent-commands.js';
import { RedisSubscriptionRefusedError } from './subscription-refused.error.js';
import { TOPIC_COMMANDS, topicKey, type Topic } from './subscription.js';

/** Where a lane hands what arrives: data messages by topic key, and refusals. */
export interface LaneSink {
  deliver(key: string, channel: string, pattern: string | undefined, data: Buffer): void;
  /** The server refused this topic; the lane has dropped it (it is not retried). */
  refused(key: string, error: RedisSubscriptionRefusedError): void;
  /** The lane's connection is up (`'connected'`) or was lost / could not be opened (`'lost'`). */
  laneStatus?(status: LaneStatus): void;
}

export type LaneStatus = 'connected' | 'lost';

interface Confirmation {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

/** Error replies that say "not here, not now" rather than "no": the lane reconnects (re-routed) instead. */
const TRANSIENT_ERROR = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY)\b/;

/**
 * One push connection and the topics it should be subscribed to. Opens on the first
 * topic; when the connection is lost it reconnects with exponential backoff and full
 * jitter and subscribes to every topic again, logging the loss and the recovery once each.
 * An error reply answers the oldest unanswered command (see `SentCommands`): a refused
 * topic is dropped and reported to the sink; a "not here, not now" error counts as a loss.
 */
export class PushLane {
  readonly #redis: Redis;
  readonly #routeKey: string | undefined;
  readonly #sink: LaneSink;
  readonly #logger: Logger;
  readonly #client: string;
  readonly #label: string;
  readonly #topics = new Map<string, Topic>();
  readonly #confirmations = new Map<string, Confirmation>();
  readonly #sent = new SentCommands();
  #push: PushConnection | null = null;
  #connecting: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  /** Inside a loss episode: the next successful connect is logged as the recovery. */
  #lost = false;
  #closed = false;

  /** `routeKey`: a cluster key whose owner the connection must be on (sharded channels). */
  constructor(redis: Redis, routeKey: string | undefined, sink: LaneSink, logger: Logger, client: string) {
    this.#redis = redis;
    this.#routeKey = routeKey;
    this.#sink = sink;
    this.#logger = logger;
    this.#client = client;
    this.#label = `Redis client "${client}"`;
  }

  get size(): number {
    return this.#topics.size;
  }

  /**
   * Subscribes; the promise resolves once the server confirmed it, refused it (reported to
   * the sink first), or the lane could not connect (it keeps retrying).
   */
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

  /**
   * Ends the subscriptions (the server drops them with the connection) and stops retrying.
   * Never waits for a connection still being opened: that may be waiting for a pool slot
   * that only the client's own close frees. It is closed as soon as it arrives, and the
   * client's close (which follows) fails it if it is still waiting.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#topics.clear();
    this.#settleAll();
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
        this.#sent.clear();
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
        // Closed by us (or the client closed). A TopologyChangedError (a sentinel failover, a
        // cluster node that left), like a loss, rejects instead and lands below: subscribe
        // again, where the topology now points.
        if (message === null) return;
        // An error reply is a message too: it answers the oldest unanswered command.
        if (message instanceof Error) this.#onErrorReply(push, message);
        else if (Array.isArray(message)) this.#onMessage(message);
      }
    } catch (err) {
      this.#lose(push, err);
    }
  }

  /** The connection is gone (or no longer trusted): reconnect and resubscribe with backoff. */
  #lose(push: PushConnection, err: unknown): void {
    if (this.#push !== push || this.#closed) return;
    this.#push = null;
    void push.close();
    if (!this.#lost) {
      this.#lost = true;
      this.#logger.warn(
        `${this.#label}: pub/sub connection to ${push.address} lost (${describe(err)}); resubscribing ${this.#topics.size} subscription(s) with backoff`,
      );
    }
    this.#sink.laneStatus?.('lost');
    this.#scheduleRetry();
  }

  #onErrorReply(push: PushConnection, error: Error): void {
    const command = this.#sent.failOldest();
    if (error instanceof ReplyError && TRANSIENT_ERROR.test(error.message)) {
      this.#lose(push, error);
      return;
    }
    if (command === undefined || command.action === 'unsubscribe') {
      this.#logger.warn(`${this.#label}: the server sent an error on the pub/sub connection to ${push.address}: ${describe(error)}`);
      return;
    }
    for (const name of command.names) {
      const key = topicKey({ kind: command.kind, name });
      if (!this.#topics.delete(key)) continue;
      // The sink hears of it before the confirmation settles: whoever awaits `settled()` then sees the failure.
      this.#sink.refused(key, new RedisSubscriptionRefusedError(this.#client, command.kind, name, new Error(redact(error.message), { cause: error })));
      this.#settle(key);
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
        const ack = ACKNOWLEDGEMENTS[type];
        if (ack === undefined || message[1] === null || message[1] === undefined) return;
        const name = text(message[1]);
        this.#sent.acknowledge(ack.action, ack.kind, name);
        if (ack.action === 'subscribe') this.#settle(`${ack.kind}:${name}`);
      }
    }
  }

  #send(push: PushConnection, action: 'subscribe' | 'unsubscribe', topics: readonly Topic[]): void {
    // A failed write means the connection is gone: the read loop sees it and resubscribes.
    if (action === 'subscribe') {
      // One command per topic: the server refuses a command as a whole, so a topic the user
      // may not use must not take the others of the same command down with it.
      for (const topic of topics) {
        this.#sent.add('subscribe', topic.kind, [topic.name]);
        push.call(TOPIC_COMMANDS[topic.kind].subscribe, topic.name).catch(() => {});
      }
      return;
    }
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      const names = topics.filter((t) => t.kind === kind).map((t) => t.name);
      if (names.length === 0) continue;
      this.#sent.add('unsubscribe', kind, names);
      push.call(TOPIC_COMMANDS[kind].unsubscribe, ...names).catch(() => {});
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
