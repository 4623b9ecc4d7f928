import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
// Types only: `@nestjs/terminus` is an optional peer, loaded at run time by the first use
// of this class, so `import 'nestjs-justredis'` works without it installed.
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from '../core/redis.js';
import { assertDuration } from '../core/index.js';
import { DEFAULT_HEALTH_TIMEOUT, DEFAULT_REDIS_NAME } from './justredis.constants.js';
import type { JustRedisHealthOptions } from './justredis.interfaces.js';
import { JustRedisClients } from './justredis-clients.service.js';
import { isClusterClient } from './utils/is-cluster.util.js';
import { redact } from './utils/redact.util.js';

/**
 * A terminus 12 health indicator: list it in the `providers` of a module that imports
 * `TerminusModule`, then `() => this.redis.isHealthy('redis')` in a `@HealthCheck()`.
 * `up` when the server answers PING (on a cluster: every master reports
 * `cluster_state:ok`) within `timeout` ms, `down` with a `message` otherwise. An `up`
 * result carries the pool gauges of `redis.stats()` as `pools` (per server: shared
 * connections, exclusive ones in use and idle, waiters), so a health page shows a pool
 * running dry before it fails.
 */
@Injectable()
export class JustRedisHealthIndicator implements OnModuleInit {
  #service: HealthIndicatorService | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly clients: JustRedisClients,
  ) {}

  async onModuleInit(): Promise<void> {
    this.#service ??= await this.#resolveService();
  }

  async isHealthy<const Key extends string>(key: Key, options: JustRedisHealthOptions = {}): Promise<HealthIndicatorResult<Key>> {
    const { client: name = DEFAULT_REDIS_NAME, timeout = DEFAULT_HEALTH_TIMEOUT } = options;
    // Infinity or >= 2^31 ms would become a 1 ms timer: always 'down'.
    assertDuration(timeout, 'isHealthy() timeout');
    this.#service ??= await this.#resolveService();
    const indicator = this.#service.check(key);
    let client: Redis;
    try {
      client = this.clients.get(name);
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
    return indicator.attempt(() => probe(client)).withTimeout(timeout);
  }

  async #resolveService(): Promise<HealthIndicatorService> {
    let terminus: typeof import('@nestjs/terminus');
    try {
      terminus = await import('@nestjs/terminus');
    } catch (err) {
      throw new Error('JustRedisHealthIndicator needs @nestjs/terminus 12: npm install @nestjs/terminus', { cause: err });
    }
    try {
      return this.moduleRef.get(terminus.HealthIndicatorService, { strict: false });
    } catch {
      // TerminusModule not imported where we can see it: the service is stateless apart from its cache.
      return new terminus.HealthIndicatorService();
    }
  }
}

async function probe(client: Redis): Promise<Record<string, unknown>> {
  try {
    await client.call('ping');
    if (!isClusterClient(client)) return { pools: client.stats() };
    const replies = (await client.call('cluster', 'info', { endpoint: 'masters', decoder: 'utf8' })) as Map<string, unknown>;
    for (const [address, reply] of replies) {
      if (reply instanceof Error) throw new Error(`${address}: ${reply.message}`);
      if (typeof reply !== 'string' || !/^cluster_state:ok\b/m.test(reply)) throw new Error(`${address}: cluster_state is not ok`);
    }
    return { masters: replies.size, pools: client.stats() };
  } catch (err) {
    throw new Error(redact(err instanceof Error ? err.message : String(err)));
  }
}
