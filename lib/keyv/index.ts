/**
 * `nestjs-justredis/keyv`: a Keyv store on this package's client, for `@nestjs/cache-manager`.
 * Loads neither Keyv nor Nest: Keyv only calls the store's methods.
 */
export { KeyvJustRedis, type KeyvJustRedisOptions, type KeyvJustRedisEntry } from './keyv-just-redis.store.js';
