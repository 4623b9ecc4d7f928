import type { EventEmitter } from 'node:events';
import type { ResolvedOptions } from '../options.js';
import type { Router } from '../routing/router.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import { SentinelDiscovery } from './discovery.js';
import { SentinelRouter, SWITCH_TIMEOUT_MS } from './sentinel-router.js';

/**
 * A router for the master a Redis Sentinel setup manages: `options.addresses` are the
 * sentinels (down ones are skipped), `sentinelMaster` the master's name. Resolves once the
 * master is found and confirmed by ROLE; rejects at once when no sentinel can name it
 * (all unreachable, wrong sentinel credentials, unknown name).
 *
 * `prepare` runs on every new data connection (master or replica) before use, after the
 * master's ROLE check — the hook client-side caching needs.
 *
 * `signal` is the client's close: aborting it ends the start at once (sentinel queries, ROLE
 * probes and the event subscription's connect in flight are destroyed) and rejects with
 * `signal.reason`, however long `connectTimeout`/`socketTimeout` are.
 */
export async function createSentinelRouter(
  options: ResolvedOptions,
  events: EventEmitter,
  prepare: ((connection: RedisConnection) => Promise<void>) | null = null,
  signal?: AbortSignal,
): Promise<Router> {
  const name = options.sentinelMaster;
  if (name === undefined || name === '') {
    throw new TypeError('poolFactory "sentinel" needs the master\'s name: the "sentinelMaster" option, or redis+sentinel://host:port/mastername');
  }
  if (signal?.aborted) throw signal.reason;
  const discovery = new SentinelDiscovery(options, name);
  let router: SentinelRouter | null = null;
  // Before the router exists the discovery is all there is to stop; after, the router stops it too.
  const onAbort = () => void (router === null ? discovery.close() : router.close());
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const master = await discovery.findMaster(Date.now() + SWITCH_TIMEOUT_MS, undefined, true);
    if (signal?.aborted) throw signal.reason;
    router = new SentinelRouter(options, events, discovery, master, prepare);
    await router.start();
    if (signal?.aborted) throw signal.reason;
    return router;
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export { SentinelRouter } from './sentinel-router.js';
