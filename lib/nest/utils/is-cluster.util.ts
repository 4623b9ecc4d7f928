import type { Redis } from '../../core/redis.js';
import { StandaloneRouter } from '../../core/routing/standalone-router.js';

/** Whether the client talks to a Redis Cluster (known once it connected, or from `poolFactory`). */
export function isClusterClient(redis: Redis): boolean {
  const core = redis._core;
  if (core.options.poolFactory === 'cluster') return true;
  if (core.options.poolFactory !== 'auto') return false;
  return core.router !== null && !(core.router instanceof StandaloneRouter);
}
