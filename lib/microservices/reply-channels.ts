import type { TopicListener } from '../nest/pubsub/pubsub-hub.js';
import type { Topic } from '../nest/pubsub/subscription.js';
import type { TransportLink } from './transport-link.js';

interface ReplyChannel {
  readonly topic: Topic;
  readonly listener: TopicListener;
  /** Requests waiting on this channel. */
  count: number;
  /** Settles once the server confirmed the subscription (or the push connection failed). */
  readonly ready: Promise<void>;
  confirmed: boolean;
}

/**
 * The reply channels (`<pattern>.reply`) a client listens on, reference counted like the
 * built-in transport: subscribed for the first request in flight on a pattern,
 * unsubscribed after the last one ends.
 */
export class ReplyChannels {
  readonly #link: TransportLink;
  readonly #onReply: (text: string) => void;
  readonly #channels = new Map<string, ReplyChannel>();

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
    const listener: TopicListener = { decoder: 'utf8', next: (message) => this.#onReply(message.data as string), complete: () => {} };
    const link = this.#link;
    const channel: ReplyChannel = {
      topic,
      listener,
      count: 1,
      confirmed: false,
      ready: link.subscribe(topic, listener).then(() => {
        channel.confirmed = link.up;
      }),
    };
    this.#channels.set(name, channel);
    return channel.ready;
  }

  /** Counts a request out; the last one unsubscribes. */
  release(name: string): void {
    const channel = this.#channels.get(name);
    if (channel === undefined || --channel.count > 0) return;
    this.#channels.delete(name);
    this.#link.unsubscribe(channel.topic, channel.listener);
  }
}
