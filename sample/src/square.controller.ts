import { Controller, Get, Inject, Param, ParseIntPipe } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Throttle } from '@nestjs/throttler';
import type { Cache } from 'cache-manager';

/**
 * The Nest ecosystem on the same client: results cached in Redis through cache-manager
 * (`KeyvJustRedis`), and a tighter rate limit than the app's default, counted in Redis
 * (`JustRedisThrottlerStorage`) so every instance of the app shares it.
 */
@Controller('squares')
export class SquareController {
  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  /** Stands for an expensive computation: cached for 30 s, at most 5 calls per 10 s per client. */
  @Get(':n')
  @Throttle({ default: { limit: 5, ttl: 10_000 } })
  async square(@Param('n', ParseIntPipe) n: number): Promise<{ n: number; square: number; cached: boolean }> {
    const key = `square:${n}`;
    const hit = await this.cache.get<number>(key);
    if (hit !== undefined) return { n, square: hit, cached: true };
    const square = n * n;
    await this.cache.set(key, square, 30_000);
    return { n, square, cached: false };
  }
}
