import { Logger } from '@nestjs/common';
import type { Redis } from '../core/index.js';
import { PubSubHub, type TopicListener } from '../nest/pubsub/pubsub-hub.js';
import type { LaneStatus } from '../nest/pubsub/push-lane.js';
import type { Topic } from '../nest/pubsub/subscription.js';
import type { JustRedisEvent, JustRedisEvents, JustRedisStatus, TransportSettings } from './justredis-transport.options.js';

type Listener = JustRedisEvents[JustRedisEvent];

/**
 * One transport's hold on Redis: the client (its pool publishes) and a pub/sub hub whose
 * push connection reconnects and resubscribes by itself. Owns both, and on `close()`
 * releases the push connection, the listeners it added, and the client if it created it.
 */
export class TransportLink {
  readonly redis: Redis;
  readonly #owned: boolean;
  readonly #hub: PubSubHub;
  readonly #listeners: [JustRedisEvent, Listener][] = [];
  #up = false;
  #closed = false;

  constructor(settings: TransportSettings, label: string, onStatus: (status: JustRedisStatus) => void) {
    const { redis, owned } = settings.openClient();
    this.redis = redis;
    this.#owned = owned;
    this.#hub = new PubSubHub(redis, new Logger(label), label, (status: LaneStatus) => {
      if (this.#closed) return;
      this.#up = status === 'connected';
      onStatus(this.#up ? 'connected' : 'reconnecting');
    });
  }

  /** Whether the push connection is subscribed and reading (false before the first subscription and while reconnecting). */
  get up(): boolean {
    return this.#up;
  }

  /** A round trip on the pool: a clear error at start-up when the server cannot be reached. */
  async ping(): Promise<void> {
    await this.redis.call('ping');
  }

  publish(channel: string, payload: string): Promise<unknown> {
    return this.redis.call('publish', channel, payload);
  }

  /** Settles once the server confirmed, or the push connection could not be opened (then `up` is false). */
  subscribe(topic: Topic, listener: TopicListener): Promise<void> {
    return this.#hub.add(topic, listener);
  }

  unsubscribe(topic: Topic, listener: TopicListener): void {
    this.#hub.remove(topic, listener);
  }

  settled(): Promise<void> {
    return this.#hub.settled();
  }

  on(event: JustRedisEvent, listener: Listener): void {
    this.redis.on(event, listener);
    this.#listeners.push([event, listener]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#up = false;
    for (const [event, listener] of this.#listeners.splice(0)) this.redis.off(event, listener);
    await this.#hub.close();
    if (this.#owned) await this.redis.close();
  }
}
