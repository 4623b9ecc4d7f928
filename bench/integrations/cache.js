// cache-manager through Keyv: our KeyvJustRedis vs @keyv/redis (node-redis), same server,
// same namespace, same values. Each side gets its own client.
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';

const KEYS = 1000;
const VALUE = { user: 'ann', roles: ['admin', 'dev'], note: 'x'.repeat(200) };

async function ours({ server, dist }) {
  const { Redis } = await import(`${dist}/core/index.js`);
  const { KeyvJustRedis } = await import(`${dist}/keyv/index.js`);
  const redis = new Redis({ address: server.address });
  const keyv = new Keyv({ store: new KeyvJustRedis(redis), namespace: 'bench-ours' });
  return { cache: createCache({ stores: [keyv] }), close: () => redis.close() };
}

async function theirs({ server }) {
  const keyv = new Keyv({ store: new KeyvRedis(server.url), namespace: 'bench-theirs' });
  return { cache: createCache({ stores: [keyv] }), close: () => keyv.disconnect() };
}

/** Both sides of a cache workload: `op(cache, i)` is one operation. */
function sides(prepare, op) {
  const side = (open) => async (ctx) => {
    const { cache, close } = await open(ctx);
    await prepare(cache);
    // Measure hits, not errors swallowed into misses.
    await cache.set('k0', VALUE, 600_000);
    if (JSON.stringify(await cache.get('k0')) !== JSON.stringify(VALUE)) throw new Error('cache store does not round-trip');
    return { op: (i) => op(cache, i), close };
  };
  return { ours: { label: 'KeyvJustRedis (ours)', open: side(ours) }, theirs: { label: '@keyv/redis 5', open: side(theirs) } };
}

const fill = async (cache) => {
  for (let i = 0; i < KEYS; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => cache.set(`k${i + j}`, VALUE, 600_000)));
};

export const workloads = [
  {
    name: 'cache-get',
    title: 'cache-manager get (hit), 50 concurrent',
    concurrency: 50,
    ...sides(fill, (cache, i) => cache.get(`k${i % KEYS}`)),
  },
  {
    name: 'cache-set',
    title: 'cache-manager set with ttl, 50 concurrent',
    concurrency: 50,
    ...sides(async () => {}, (cache, i) => cache.set(`k${i % KEYS}`, VALUE, 600_000)),
  },
];
