/**
 * The NestJS integration: `JustRedisModule`, `@InjectRedis`, `@RedisSubscribe`,
 * `RedisPubSub`, `JustRedisHealthIndicator`.
 */
export { JustRedisModule } from './justredis.module.js';
export { JustRedisCoreModule } from './justredis-core.module.js';
export { JustRedisClients, JustRedisConnectError } from './justredis-clients.service.js';
export { RedisPubSub } from './redis-pubsub.service.js';
export { RedisSubscriptionRefusedError } from './pubsub/subscription-refused.error.js';
export { RedisSubscribeExplorer } from './redis-subscribe.explorer.js';
export { JustRedisMetadataAccessor } from './justredis-metadata.accessor.js';
export { JustRedisHealthIndicator } from './justredis-health.indicator.js';
export { InjectRedis } from './decorators/inject-redis.decorator.js';
export { RedisSubscribe } from './decorators/redis-subscribe.decorator.js';
export { getRedisToken } from './utils/get-redis-token.util.js';
export { DEFAULT_REDIS_NAME } from './justredis.constants.js';
export type {
  JustRedisClientOptions,
  JustRedisModuleOptions,
  JustRedisModuleAsyncOptions,
  JustRedisOptionsFactory,
  JustRedisHealthOptions,
  RedisViewSettings,
  RedisMessage,
  RedisSubscriptionTarget,
  RedisSubscriptionInput,
  RedisSubscribeOptions,
  RedisPublishOptions,
} from './justredis.interfaces.js';
