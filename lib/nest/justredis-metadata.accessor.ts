import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { REDIS_SUBSCRIBE_METADATA } from './justredis.constants.js';
import type { NormalizedSubscription } from './pubsub/subscription.js';

/** Reads `@RedisSubscribe()` metadata off methods. */
@Injectable()
export class JustRedisMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getSubscriptions(method: unknown): readonly NormalizedSubscription[] {
    if (typeof method !== 'function') return [];
    return this.reflector.get<NormalizedSubscription[] | undefined>(REDIS_SUBSCRIBE_METADATA, method) ?? [];
  }
}
