import type { Redis } from '../../core/index.js';

/** Whether the client talks to a Redis Cluster (known once it connected, or from `poolFactory`). */
export function isClusterClient(redis: Redis): boolean {
  return redis.topology === 'cluster';
}
