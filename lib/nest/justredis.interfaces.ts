import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Provider, Type } from '@nestjs/common';
import type { CallSettings, RedisOptions, ReplyDecoder } from '../core/index.js';

/** Options of one client: every core client option, plus a URL and the start-up behaviour. */
export interface JustRedisClientOptions extends RedisOptions<any> {
  /** `redis://`, `rediss://`, `unix://`, `redis+sentinel://`…; other options given here override the URL's. */
  url?: string;
  /**
   * `true` (default): start-up waits for the server to answer PING and fails with a clear
   * error naming the address when it does not. `false`: start anyway; connect on first use.
   */
  connectOnInit?: boolean;
  /**
   * Milliseconds `app.close()` lets the `@RedisSubscribe` handlers of this client finish
   * the messages they already received before the client closes (default 5000; `0`: do not
   * wait). What is still running or queued then is abandoned and logged.
   */
  shutdownTimeout?: number;
}

/** `JustRedisModule.forRoot()` options. */
export interface JustRedisModuleOptions extends JustRedisClientOptions {
  /** Client name (default `'default'`); each name is one client with its own pools. */
  name?: string;
  /** Register the module globally (default `true`). */
  isGlobal?: boolean;
}

/** A class that builds the client options, for `forRootAsync({ useClass | useExisting })`. */
export interface JustRedisOptionsFactory {
  createJustRedisOptions(): JustRedisClientOptions | Promise<JustRedisClientOptions>;
}

/** `JustRedisModule.forRootAsync()` options. */
export interface JustRedisModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  name?: string;
  isGlobal?: boolean;
  useFactory?: (...args: any[]) => JustRedisClientOptions | Promise<JustRedisClientOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useClass?: Type<JustRedisOptionsFactory>;
  useExisting?: Type<JustRedisOptionsFactory> | InjectionToken;
  /** Providers the factory class or function needs that come from nowhere else. */
  extraProviders?: Provider[];
}

/** What a `@InjectRedis()` view changes on the named client (the rest, pools included, is shared). */
export interface RedisViewSettings extends CallSettings {}

/** A pub/sub message as handlers and `RedisPubSub.observe()` receive it. */
export interface RedisMessage<T extends string | Buffer = string> {
  /** The channel it was published on. */
  channel: string;
  /** The pattern that matched, for pattern subscriptions. */
  pattern?: string;
  /** `true` for a sharded channel (SSUBSCRIBE). */
  shard?: boolean;
  /** The payload, decoded with the subscription's `decoder` (Buffer when `null`). */
  data: T;
}

/** Where to listen, plus which client and decoder. Give exactly one of the target fields. */
export interface RedisSubscriptionTarget {
  channel?: string | readonly string[];
  pattern?: string | readonly string[];
  shard?: string | readonly string[];
  /** Client name (default `'default'`). */
  client?: string;
  /** How `data` is decoded: `'utf8'` (default) or any Buffer encoding; `null` keeps Buffers. */
  decoder?: ReplyDecoder;
}

/** Options shared by `@RedisSubscribe(target, options)` and `RedisPubSub.observe(target, options)`. */
export interface RedisSubscribeOptions {
  client?: string;
  decoder?: ReplyDecoder;
}

/** `@RedisSubscribe()` / `observe()` first argument: a channel, several, or a target object. */
export type RedisSubscriptionInput = string | readonly string[] | RedisSubscriptionTarget;

/** `RedisPubSub.publish()` options. */
export interface RedisPublishOptions {
  client?: string;
  /** Publish to a sharded channel (SPUBLISH). */
  shard?: boolean;
}

/** `JustRedisHealthIndicator.isHealthy()` options. */
export interface JustRedisHealthOptions {
  client?: string;
  /** Milliseconds before the check is `down` (default 1000). */
  timeout?: number;
}
