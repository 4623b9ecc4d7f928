import { Inject } from '@nestjs/common';
import type { RedisViewSettings } from '../justredis.interfaces.js';
import { getRedisToken } from '../utils/get-redis-token.util.js';

/**
 * Injects a client: `@InjectRedis()` the default one, `@InjectRedis('cache')` a named one,
 * `@InjectRedis({ database: 1 })` / `@InjectRedis('cache', { decoder: null })` a `modify()`
 * view of it that shares its pools. Works whatever the import order of files and modules.
 *
 * Type the parameter with the client's decoder (and RESP version) for typed calls:
 * `@InjectRedis() private readonly redis: Redis<'utf8'>` (module `decoder: 'utf8'`, RESP2),
 * `@InjectRedis('cache', { decoder: null }) raw: Redis<null, 3>`. `Redis` alone replies `any`.
 */
export function InjectRedis(name?: string, settings?: RedisViewSettings): PropertyDecorator & ParameterDecorator;
export function InjectRedis(settings?: RedisViewSettings): PropertyDecorator & ParameterDecorator;
export function InjectRedis(nameOrSettings?: string | RedisViewSettings, settings?: RedisViewSettings): PropertyDecorator & ParameterDecorator {
  return Inject(getRedisToken(nameOrSettings as string, settings));
}
