import type { Redis } from '../core/index.js';
import { INCREMENT_SCRIPT } from './increment.script.js';

/** What `ThrottlerStorage.increment` resolves to (`@nestjs/throttler`'s `ThrottlerStorageRecord`). */
export interface JustRedisThrottlerRecord {
  totalHits: number;
  /** Seconds until the window ends, rounded up. */
  timeToExpire: number;
  isBlocked: boolean;
  /** Seconds until the block ends, rounded up (what the guard writes into `Retry-After`). */
  timeToBlockExpire: number;
}

export interface JustRedisThrottlerStorageOptions {
  /** Put before every key (`'throttler:'`). */
  prefix?: string;
}

const MAX_MS = 2 ** 31 - 1;

function checkCount(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new RangeError(`throttler ${name} must be a finite number between 0 and ${max}`);
  }
  return value;
}

/**
 * `@nestjs/throttler` (6.7) storage on this package's client: `ThrottlerModule.forRoot({
 * throttlers: [...], storage: new JustRedisThrottlerStorage(redis) })`. Every instance
 * pointed at the same server (or cluster) shares each limit. One script call per
 * increment, sent as EVALSHA once the server knows it. The client stays the caller's: this
 * storage never closes it.
 */
export class JustRedisThrottlerStorage {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: JustRedisThrottlerStorageOptions = {}) {
    if (typeof redis !== 'object' || redis === null || typeof (redis as Redis).call !== 'function') {
      throw new TypeError('JustRedisThrottlerStorage needs a Redis client');
    }
    if (typeof options !== 'object' || options === null) throw new TypeError('JustRedisThrottlerStorage options must be an object');
    for (const key of Object.keys(options)) {
      if (key !== 'prefix') throw new TypeError(`Unknown JustRedisThrottlerStorage option "${key}"`);
    }
    const { prefix = 'throttler:' } = options;
    if (typeof prefix !== 'string') throw new TypeError('JustRedisThrottlerStorage option "prefix" must be a string');
    this.#redis = redis.modify({ decoder: 'utf8', attributes: false });
    this.#prefix = prefix;
  }

  /**
   * Counts a hit on `key` for `throttlerName` and says whether it is blocked, exactly as the
   * package's in-memory storage would (`ttl` and `blockDuration` in ms, times back in whole
   * seconds rounded up).
   */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<JustRedisThrottlerRecord> {
    if (typeof key !== 'string') throw new TypeError('throttler key must be a string');
    if (typeof throttlerName !== 'string') throw new TypeError('throttler name must be a string');
    checkCount('ttl', ttl, MAX_MS);
    checkCount('limit', limit, Number.MAX_SAFE_INTEGER);
    checkCount('blockDuration', blockDuration, MAX_MS);
    const reply: [number, number, number, number] = await this.#redis.call('EVAL', INCREMENT_SCRIPT, 1, this.#prefix + key, ttl, limit, blockDuration, throttlerName);
    return { totalHits: reply[0], timeToExpire: reply[1], isBlocked: reply[2] === 1, timeToBlockExpire: reply[3] };
  }
}
