import { Global, Module, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JustRedisClients } from './justredis-clients.service.js';
import { JustRedisMetadataAccessor } from './justredis-metadata.accessor.js';
import { RedisPubSub } from './redis-pubsub.service.js';
import { RedisSubscribeExplorer } from './redis-subscribe.explorer.js';

/**
 * What every `forRoot`/`forRootAsync` of an application shares, made once: the client
 * registry, `RedisPubSub` and the `@RedisSubscribe` explorer. It owns the shutdown order:
 * before the HTTP server closes, handlers stop taking messages and every Observable
 * completes (so server-sent-event responses end), and the handlers finish what they
 * already received (bounded by `shutdownTimeout`); then, in `onApplicationShutdown`, every
 * client of every name is closed. No step waits for a pool slot.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [JustRedisClients, RedisPubSub, JustRedisMetadataAccessor, RedisSubscribeExplorer],
  exports: [JustRedisClients, RedisPubSub],
})
export class JustRedisCoreModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly clients: JustRedisClients,
    private readonly pubsub: RedisPubSub,
    private readonly explorer: RedisSubscribeExplorer,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const drained = this.explorer.drain(); // stops intake at once
    await this.pubsub.close();
    await drained;
  }

  async onApplicationShutdown(): Promise<void> {
    this.explorer.stop();
    await this.pubsub.close();
    await this.clients.closeAll();
  }
}
