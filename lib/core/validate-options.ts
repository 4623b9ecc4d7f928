import { resolveOptions, type RedisOptions } from './options.js';

/**
 * Checks client options exactly as `new Redis(options)` does — a TypeError or RangeError
 * naming the option, never its secret value — without making a client. For layers that
 * validate their configuration before they connect (the microservices transport).
 */
export function validateRedisOptions(options: RedisOptions<any>): void {
  resolveOptions(options);
}
