import type { Logger } from '@nestjs/common';
import type { Redis, ReplyDecoder } from '../../core/index.js';
import { isClusterClient } from '../utils/is-cluster.util.js';
import type { RedisMessage } from '../justredis.interfaces.js';
import { PushLane, type LaneSink, type LaneStatus } from './push-lane.js';
import type { RedisSubscriptionRefusedError } from './subscription-refused.error.js';
import { topicKey, type Topic } from './subscription.js';

/** Someone listening to a topic: gets each message decoded with its own decoder. */
export interface TopicListener {
  readonly decoder: ReplyDecoder;
  next(message: RedisMessage<string | Buffer>): void;
  complete(): void;
  /** The server refused the topic: this listener gets no message of it. */
  error(error: RedisSubscriptionRefusedError): void;
}

const MAIN_LANE = '';

/**
 * The pub/sub state of one client: who listens to which topic, reference counted, so that
 * the server subscription is made for the first listener and dropped after the last.
 * Channels and patterns share one push connection ("lane"); on a cluster, each sharded
 * channel gets a lane on the node that owns it.
 */
export class PubSubHub implements LaneSink {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #client: string;
  readonly #listeners = new Map<string, Set<TopicListener>>();
  readonly #lanes = new Map<string, PushLane>();
  /** Topic key → lane key, fixed when the topic is first subscribed. */
  readonly #laneOf = new Map<string, string>();
  readonly #onStatus: ((status: LaneStatus) => void) | undefined;
  #closed = false;

  /** `onStatus`: told each time a push connection comes up or is lost (the microservices transport turns it into status events). */
  constructor(redis: Redis, logger: Logger, client: string, onStatus?: (status: LaneStatus) => void) {
    this.#redis = redis;
    this.#logger = logger;
    this.#client = client;
    this.#onStatus = onStatus;
  }

  /**
   * Starts listening; the promise resolves once the server confirmed or refused the topic
   * (a refusal reaches `listener.error` first), see `PushLane.add`.
   */
  add(topic: Topic, listener: TopicListener): Promise<void> {
    if (this.#closed) {
      listener.complete();
      return Promise.resolve();
    }
    const key = topicKey(topic);
    let set = this.#listeners.get(key);
    if (set === undefined) this.#listeners.set(key, (set = new Set()));
    set.add(listener);
    if (set.size > 1) return this.#lane(topic).settled();
    this.#laneOf.set(key, this.#laneKey(topic));
    return this.#lane(topic).add(topic);
  }

  remove(topic: Topic, listener: TopicListener): void {
    const key = topicKey(topic);
    const set = this.#listeners.get(key);
    if (set === undefined || !set.delete(listener) || set.size > 0) return;
    this.#listeners.delete(key);
    const laneKey = this.#laneOf.get(key) ?? MAIN_LANE;
    this.#laneOf.delete(key);
    const lane = this.#lanes.get(laneKey);
    if (lane === undefined) return;
    lane.remove(topic);
    if (laneKey !== MAIN_LANE && lane.size === 0) {
      this.#lanes.delete(laneKey);
      void lane.close();
    }
  }

  /** Resolves once every subscription asked for so far is confirmed (or its lane is retrying). */
  async settled(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((lane) => lane.settled()));
  }

  /** Completes every listener and closes every push connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listeners = [...this.#listeners.values()].flatMap((set) => [...set]);
    this.#listeners.clear();
    this.#laneOf.clear();
    for (const listener of new Set(listeners)) listener.complete();
    const lanes = [...this.#lanes.values()];
    this.#lanes.clear();
    await Promise.all(lanes.map((lane) => lane.close()));
  }

  laneStatus(status: LaneStatus): void {
    if (!this.#closed) this.#onStatus?.(status);
  }

  refused(key: string, error: RedisSubscriptionRefusedError): void {
    const set = this.#listeners.get(key);
    this.#listeners.delete(key);
    const laneKey = this.#laneOf.get(key) ?? MAIN_LANE;
    this.#laneOf.delete(key);
    const lane = this.#lanes.get(laneKey);
    if (lane !== undefined && laneKey !== MAIN_LANE && lane.size === 0) {
      this.#lanes.delete(laneKey);
      void lane.close();
    }
    for (const listener of set ?? []) listener.error(error);
  }

  deliver(key: string, channel: string, pattern: string | undefined, data: Buffer): void {
    const set = this.#listeners.get(key);
    if (set === undefined) return;
    const shard = key.startsWith('shard:');
    const decoded = new Map<ReplyDecoder, string | Buffer>();
    for (const listener of [...set]) {
      let value = decoded.get(listener.decoder);
      if (value === undefined) {
        value = listener.decoder === null ? data : data.toString(listener.decoder);
        decoded.set(listener.decoder, value);
      }
      const message: RedisMessage<string | Buffer> = { channel, data: value };
      if (pattern !== undefined) message.pattern = pattern;
      if (shard) message.shard = true;
      listener.next(message);
    }
  }

  #lane(topic: Topic): PushLane {
    const laneKey = this.#laneOf.get(topicKey(topic)) ?? MAIN_LANE;
    let lane = this.#lanes.get(laneKey);
    if (lane === undefined) {
      lane = new PushLane(this.#redis, laneKey === MAIN_LANE ? undefined : topic.name, this, this.#logger, this.#client);
      this.#lanes.set(laneKey, lane);
    }
    return lane;
  }

  /** Sharded channels live on the node owning their slot, so on a cluster each gets its own lane. */
  #laneKey(topic: Topic): string {
    return topic.kind === 'shard' && isClusterClient(this.#redis) ? topicKey(topic) : MAIN_LANE;
  }
}
