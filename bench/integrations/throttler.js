// @nestjs/throttler storage increments: our JustRedisThrottlerStorage (one EVALSHA) vs
// @nest-lab/throttler-storage-redis 1.2 (ioredis, one EVAL), same server: 10,000 trackers
// (clients) under a limit of 100 a minute that none of them reaches during the run (the
// common case: counting, not refusing). Ours keeps every hit's expiry, as the in-memory
// storage does, so its work grows with the hits a tracker has in its window (at most limit + 1).
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';

const KEYS = 10_000;
const increment = (storage, prefix) => (i) => storage.increment(`${prefix}${i % KEYS}`, 60_000, 100, 60_000, 'default');

export const workloads = [
  {
    name: 'throttler-increment',
    title: 'throttler increment, 50 concurrent',
    concurrency: 50,
    ours: {
      label: 'JustRedisThrottlerStorage (ours)',
      async open({ server, dist }) {
        const { Redis } = await import(`${dist}/core/index.js`);
        const { JustRedisThrottlerStorage } = await import(`${dist}/throttler/index.js`);
        const redis = new Redis({ address: server.address });
        return { op: increment(new JustRedisThrottlerStorage(redis), 'ours-'), close: () => redis.close() };
      },
    },
    theirs: {
      label: '@nest-lab/throttler-storage-redis 1.2',
      async open({ server }) {
        const storage = new ThrottlerStorageRedisService(server.url);
        return { op: increment(storage, 'theirs-'), close: async () => storage.onModuleDestroy() };
      },
    },
  },
];
