import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { JustRedisHealthIndicator, JustRedisModule } from 'nestjs-justredis';
import { ActivityService } from './activity.service.js';
import { AppController } from './app.controller.js';
import { CounterService } from './counter.service.js';

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
  ],
  controllers: [AppController],
  providers: [CounterService, ActivityService, JustRedisHealthIndicator],
})
export class AppModule {}
