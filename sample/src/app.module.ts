import { Module } from '@nestjs/common';
import { CacheModule } from '@nestjs/cache-manager';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import Keyv from 'keyv';
import { getRedisToken, JustRedisHealthIndicator, JustRedisModule, type Redis } from 'nestjs-justredis';
import { KeyvJustRedis } from 'nestjs-justredis/keyv';
import { JustRedisThrottlerStorage } from 'nestjs-justredis/throttler';
import { ActivityService } from './activity.service.js';
import { AppController } from './app.controller.js';
import { CounterService } from './counter.service.js';
import { SquareController } from './square.controller.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    JustRedisModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        url: config.get<string>('REDIS_URL') ?? DEFAULT_REDIS_URL,
        decoder: 'utf8' as const,
        clientName: 'justredis-sample',
      }),
    }),
    TerminusModule,
    // cache-manager stores entries in Redis (keys `sample::sample:<key>`) through the app's client.
    CacheModule.registerAsync({
      inject: [getRedisToken()],
      useFactory: (redis: Redis) => ({ stores: [new Keyv({ store: new KeyvJustRedis(redis), namespace: 'sample' })] }),
    }),
    // Every route: at most 1000 requests a minute per client, counted in Redis.
    ThrottlerModule.forRootAsync({
      inject: [getRedisToken()],
      useFactory: (redis: Redis) => ({ throttlers: [{ limit: 1000, ttl: 60_000 }], storage: new JustRedisThrottlerStorage(redis) }),
    }),
  ],
  controllers: [AppController, SquareController],
  providers: [CounterService, ActivityService, JustRedisHealthIndicator, { provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class AppModule {}
