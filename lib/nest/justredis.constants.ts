/** Name of the client configured without an explicit `name`. */
export const DEFAULT_REDIS_NAME = 'default';

/** Prefix of every injection token this module creates (`getRedisToken()`). */
export const REDIS_TOKEN_PREFIX = 'justredis:client:';

/** Prefix of the per-name options token used by `forRootAsync`. */
export const REDIS_OPTIONS_TOKEN_PREFIX = 'justredis:options:';

/** Metadata key of `@RedisSubscribe()` (an array: a method may carry several). */
export const REDIS_SUBSCRIBE_METADATA = 'justredis:subscribe';

/** Health check timeout when `isHealthy()` is given none (ms). */
export const DEFAULT_HEALTH_TIMEOUT = 1000;

/** How long `app.close()` lets running `@RedisSubscribe` handlers finish when `shutdownTimeout` is not set (ms). */
export const DEFAULT_SHUTDOWN_TIMEOUT = 5000;

/** How long start-up waits for the server to confirm subscriptions when the client has no `connectTimeout` (ms). */
export const DEFAULT_SUBSCRIBE_TIMEOUT = 10_000;

/** Largest duration a timer takes (2^31 - 1 ms). */
export const MAX_DURATION = 2 ** 31 - 1;

/** Pub/sub reconnection backoff: first delay and ceiling (ms). Full jitter is applied on top. */
export const RESUBSCRIBE_BACKOFF_MIN = 100;
export const RESUBSCRIBE_BACKOFF_MAX = 5000;
