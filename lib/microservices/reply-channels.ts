import type { TopicListener } from '../nest/pubsub/pubsub-hub.js';
import type { Topic } from '../nest/pubsub/subscription.js';
import type { TransportLink } from './transport-link.js';

/**
 * How long a reply channel stays subscribed with no request in flight (ms). The built-in
 * client unsubscribes at once, so one request at a time costs a SUBSCRIBE round trip each;
 * lingering keeps that to one per burst.
 */
export const REPLY_LINGER_MS = 1000;

interface ReplyChannel {
  readonly topic: Topic;
  readonly listener: TopicListener;
  /** Requests waiting on this channel. */
  count: number;
  /** Settles once the server confirmed the subscription (or the push connection failed). */
  readonly ready: Promise<void>;
  confirmed: boolean;
  /** When `count` last fell to 0 (`Date.now()`). */
  idleSince: number;
}

/**
 * The reply channels (`<pattern>.reply`) a client listens on, reference counted:
 * subscribed for the first request in flight on a pattern, unsubscribed once no request
 * has used it for `REPLY_LINGER_MS`. Owns the one sweep timer; `close()` clears it.
 */
export class ReplyChannels {
  readonly #link: TransportLink;
  readonly #onReply: (text: string) => void;
  readonly #channels = new Map<string, ReplyChannel>();
  #sweep: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(link: TransportLink, onReply: (text: string) => void) {
    this.#link = link;
    this.#onReply = onReply;
  }

  /** Counts a request in; `null` when the channel is already subscribed, else a promise that settles once it is. */
  acquire(name: string): Promise<void> | null {
    const existing = this.#channels.get(name);
    if (existing !== undefined) {
      existing.count++;
      return existing.confirmed ? null : existing.ready;
    }
    const topic: Topic = { kind: 'channel', name };
    let refused: Error | null = null;
    const listener: TopicListener = {
      decoder: 'utf8',
      next: (message) => this.#onReply(message.data as string),
      complete: () => {},
      error: (error) => {
        refused = error;
      },
    };
    const link = this.#link;
    const channel: ReplyChannel = {
      topic,
      listener,
      count: 1,
      confirmed: false,
      idleSince: 0,
      ready: link.subscribe(topic, listener).then(() => {
        // A refused reply channel (ACL) would leave every request waiting: fail them instead.
        if (refused !== null) throw refused;
        channel.confirmed = link.up;
      }),
    };
    this.#channels.set(name, channel);
    return channel.ready;
  }

  /** Counts a request out; an idle channel is unsubscribed by the next sweep. */
  release(name: string): void {
    const channel = this.#channels.get(name);
    if (channel === undefined || --channel.count > 0) return;
    if (!channel.confirmed) {
      // Never confirmed (the push connection failed): nothing worth keeping.
      this.#drop(name, channel);
      return;
    }
    channel.idleSince = Date.now();
    this.#armSweep();
  }

  /** Stops the sweep; the subscriptions end with the link's push connection. */
  close(): void {
    this.#closed = true;
    if (this.#sweep !== null) clearTimeout(this.#sweep);
    this.#sweep = null;
    this.#channels.clear();
  }

  #armSweep(): void {
    if (this.#sweep !== null || this.#closed) return;
    this.#sweep = setTimeout(() => this.#sweepIdle(), REPLY_LINGER_MS);
    this.#sweep.unref();
  }

  #sweepIdle(): void {
    this.#sweep = null;
    const now = Date.now();
    let idleLeft = false;
    for (const [name, channel] of this.#channels) {
      if (channel.count > 0) continue;
      if (now - channel.idleSince >= REPLY_LINGER_MS) this.#drop(name, channel);
      else idleLeft = true;
    }
    if (idleLeft) this.#armSweep();
  }

  #drop(name: string, channel: ReplyChannel): void {
    this.#channels.delete(name);
    this.#link.unsubscribe(channel.topic, channel.listener);
  }
}
