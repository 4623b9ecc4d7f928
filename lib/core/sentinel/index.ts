import type { EventEmitter } from 'node:events';
import type { ResolvedOptions } from '../options.js';
import type { Router } from '../router.js';

/** Placeholder until the sentinel router lands: a clear error instead of wrong routing. */
export async function createSentinelRouter(_options: ResolvedOptions, _events: EventEmitter): Promise<Router> {
  throw new TypeError('Redis Sentinel support is not available in this build yet');
}
