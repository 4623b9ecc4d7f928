import { Injectable, Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { RedisPublishOptions, RedisMessage, RedisSubscribeOptions, RedisSubscriptionInput, RedisSubscriptionTarget } from './justredis.interfaces.js';
import { JustRedisClients } from './justredis-clients.service.js';
import { PubSubHub, type TopicListener } from './pubsub/pubsub-hub.js';
import { normalizeSubscription, type NormalizedSubscription } from './pubsub/subscription.js';

/**
 * Redis pub/sub as RxJS Observables. `observe()` is cold and reference counted: the
 * server subscription is made when the first subscriber arrives, shared by every later
 * one, and dropped (UNSUBSCRIBE) when the last one leaves. All subscriptions of a client
 * share one push connection, which is reopened and resubscribed after a loss.
 * At application shutdown every Observable completes.
 */
@Injectable()
export class RedisPubSub {
  readonly #hubs = new Map<string, PubSubHub>();
  readonly #logger = new Logger('RedisPubSub');
  #closed = false;

  constructor(private readonly clients: JustRedisClients) {}

  /**
   * Messages of a channel (`'news'`), several (`['a', 'b']`), a pattern (`{ pattern: 'user.*' }`)
   * or a sharded channel (`{ shard: 'orders' }`); `client` picks the named client and
   * `decoder` how `data` is decoded (`'utf8'` by default, `null` for Buffers).
   */
  observe(target: RedisSubscriptionTarget & { decoder: null }, options?: { client?: string }): Observable<RedisMessage<Buffer>>;
  observe(target: RedisSubscriptionInput, options: RedisSubscribeOptions & { decoder: null }): Observable<RedisMessage<Buffer>>;
  observe(target: RedisSubscriptionInput, options?: RedisSubscribeOptions): Observable<RedisMessage<string>>;
  observe(target: RedisSubscriptionInput, options?: RedisSubscribeOptions): Observable<RedisMessage<any>> {
    return this.stream(normalizeSubscription(target, options, 'observe'));
  }

  /** Publishes a message (`SPUBLISH` with `{ shard: true }`); resolves to the number of receivers. */
  publish(channel: string, message: string | Buffer | number, options: RedisPublishOptions = {}): Promise<number> {
    if (typeof channel !== 'string' || channel.length === 0) return Promise.reject(new TypeError('publish() channel must be a non-empty string'));
    let client;
    try {
      client = this.clients.get(options.client);
    } catch (err) {
      return Promise.reject(err);
    }
    return client.call(options.shard ? 'spublish' : 'publish', channel, message) as Promise<number>;
  }

  /** @internal The Observable of a validated subscription (what `@RedisSubscribe` uses too). */
  stream(subscription: NormalizedSubscription): Observable<RedisMessage<any>> {
    return new Observable<RedisMessage<any>>((subscriber) => {
      if (this.#closed) {
        subscriber.complete();
        return undefined;
      }
      let hub: PubSubHub;
      try {
        hub = this.#hub(subscription.client);
      } catch (err) {
        subscriber.error(err);
        return undefined;
      }
      const listener: TopicListener = {
        decoder: subscription.decoder,
        next: (message) => subscriber.next(message),
        complete: () => subscriber.complete(),
        error: (error) => subscriber.error(error),
      };
      for (const topic of subscription.topics) void hub.add(topic, listener);
      return () => {
        for (const topic of subscription.topics) hub.remove(topic, listener);
      };
    });
  }

  /**
   * Resolves once every subscription made so far (on the named clients, or all) is confirmed
   * by the server, or is being retried because the server could not be reached.
   */
  async settled(clients?: readonly string[]): Promise<void> {
    const hubs = [...this.#hubs].filter(([name]) => clients === undefined || clients.includes(name));
    await Promise.all(hubs.map(([, hub]) => hub.settled()));
  }

  /** @internal Completes every Observable and closes every push connection (application shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    const hubs = [...this.#hubs.values()];
    this.#hubs.clear();
    await Promise.all(hubs.map((hub) => hub.close()));
  }

  #hub(name: string): PubSubHub {
    let hub = this.#hubs.get(name);
    if (hub === undefined) {
      hub = new PubSubHub(this.clients.get(name), this.#logger, name);
      this.#hubs.set(name, hub);
    }
    return hub;
  }
}
