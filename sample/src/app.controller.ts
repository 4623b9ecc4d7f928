import { BadRequestException, Body, Controller, Get, HttpCode, Param, ParseIntPipe, DefaultValuePipe, Post, Query, Sse, type MessageEvent } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { JustRedisHealthIndicator, RedisPubSub } from 'nestjs-justredis';
import { map, type Observable } from 'rxjs';
import { ActivityService } from './activity.service.js';
import { CounterService, type Standing } from './counter.service.js';

@Controller()
export class AppController {
  constructor(
    private readonly counters: CounterService,
    private readonly activity: ActivityService,
    private readonly pubsub: RedisPubSub,
    private readonly health: HealthCheckService,
    private readonly redisHealth: JustRedisHealthIndicator,
  ) {}

  @Post('counters/:name/incr')
  @HttpCode(200)
  async increment(@Param('name') name: string, @Query('by', new DefaultValuePipe(1), ParseIntPipe) by: number): Promise<{ name: string; value: number }> {
    return { name, value: await this.counters.increment(name, by) };
  }

  @Get('counters/:name')
  async counter(@Param('name') name: string): Promise<{ name: string; value: number }> {
    return { name, value: await this.counters.get(name) };
  }

  @Post('leaderboard/:board')
  @HttpCode(200)
  async score(@Param('board') board: string, @Body() body: { player?: unknown; points?: unknown }): Promise<Standing> {
    const { player, points } = body ?? {};
    if (typeof player !== 'string' || player === '' || typeof points !== 'number' || !Number.isFinite(points)) {
      throw new BadRequestException('expected { "player": string, "points": number }');
    }
    return { player, score: await this.counters.score(board, player, points) };
  }

  @Get('leaderboard/:board')
  top(@Param('board') board: string, @Query('top', new DefaultValuePipe(10), ParseIntPipe) top: number): Promise<Standing[]> {
    return this.counters.top(board, Math.max(1, Math.min(top, 100)));
  }

  /** Anything published on `events` (by this app or `redis-cli publish events hi`), as server-sent events. */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return this.pubsub.observe('events').pipe(map((message) => ({ data: message.data })));
  }

  @Post('events')
  @HttpCode(202)
  async publish(@Body() body: { message?: unknown }): Promise<{ receivers: number }> {
    if (typeof body?.message !== 'string') throw new BadRequestException('expected { "message": string }');
    return { receivers: await this.pubsub.publish('events', body.message) };
  }

  /** What the `@RedisSubscribe('events')` handler has seen lately. */
  @Get('events/recent')
  recent(): unknown[] {
    return this.activity.latest();
  }

  @Get('health')
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redisHealth.isHealthy('redis')]);
  }
}
