import type { Redis } from '../lib/core/index.js';

/**
 * Polls `check` until it returns true (or a value passing `expect` in it stops throwing),
 * bounded by `timeoutMs`. For conditions the server decides on its own schedule (a closed
 * socket disappearing from CLIENT LIST), where no event exists to wait on.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      if (Date.now() > deadline) throw new Error('condition still false');
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Reads `key` until the reply comes from memory, and returns it. The first reads of a node
 * may go uncached: a connection being set up (tracking; on RESP2 its invalidation
 * connection too, opened in the background) spoils reads in flight or bypasses the cache.
 */
export async function readCached(redis: Redis, key: string): Promise<unknown> {
  const hit = await eventually(async (): Promise<{ value: unknown } | false> => {
    const hits = redis.clientSideCacheStats().hits;
    const value = await redis.call('get', key);
    return redis.clientSideCacheStats().hits === hits + 1 && { value };
  });
  return (hit as { value: unknown }).value;
}
