import 'reflect-metadata';
import { REDIS_SUBSCRIBE_METADATA } from '../justredis.constants.js';
import type { RedisSubscribeOptions, RedisSubscriptionInput } from '../justredis.interfaces.js';
import { normalizeSubscription, type NormalizedSubscription } from '../pubsub/subscription.js';

/**
 * Runs the method for every message of a channel, several channels, a pattern or a sharded
 * channel: `@RedisSubscribe('news')`, `@RedisSubscribe(['a', 'b'])`,
 * `@RedisSubscribe({ pattern: 'user.*' })`, `@RedisSubscribe({ shard: 'orders' })`,
 * `@RedisSubscribe({ channel: 'news', client: 'cache', decoder: null })`.
 *
 * The method receives a `RedisMessage` (`{ channel, pattern?, data }`) and may return
 * nothing, a value, a Promise or an Observable (subscribed, completion awaited): its
 * messages are handed over one at a time, each after the previous call settled, without
 * holding up other handlers. A throw, rejection or Observable error is logged and the next
 * message still arrives. Works on providers and controllers (not request-scoped ones),
 * lazily loaded modules included; a method may carry several.
 */
export function RedisSubscribe(target: RedisSubscriptionInput, options?: RedisSubscribeOptions): MethodDecorator {
  const subscription = normalizeSubscription(target, options, '@RedisSubscribe');
  return (_prototype, _key, descriptor) => {
    const method = descriptor.value as unknown;
    if (typeof method !== 'function') throw new TypeError('@RedisSubscribe() goes on a method');
    const existing = (Reflect.getMetadata(REDIS_SUBSCRIBE_METADATA, method) as NormalizedSubscription[] | undefined) ?? [];
    Reflect.defineMetadata(REDIS_SUBSCRIBE_METADATA, [...existing, subscription], method);
    return descriptor;
  };
}
