import type { EventEmitter } from 'node:events';
import type { ResolvedOptions } from '../options.js';
import type { Router } from '../routing/router.js';
import { ClusterRouter } from './cluster-router.js';
import { Topology } from './topology.js';

/**
 * A router for a Redis Cluster reached through `options.addresses` (seeds that are down
 * are skipped). Resolves once the first slot map is loaded.
 */
export async function createClusterRouter(options: ResolvedOptions, events: EventEmitter): Promise<Router> {
  const topology = new Topology(options, events);
  try {
    await topology.start();
  } catch (err) {
    await topology.close();
    throw err;
  }
  return new ClusterRouter(topology, options);
}

export { hashSlot, SLOT_COUNT } from './hash-slot.js';
