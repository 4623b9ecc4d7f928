/**
 * `nestjs-justredis/throttler`: a `@nestjs/throttler` storage on this package's client.
 * Loads neither the throttler package nor Nest: the module only calls `increment()`.
 */
export {
  JustRedisThrottlerStorage,
  type JustRedisThrottlerStorageOptions,
  type JustRedisThrottlerRecord,
} from './just-redis-throttler.storage.js';
