// @nestjs/throttler storage increments: our JustRedisThrottlerStorage (one EVALSHA) vs
// @nest-lab/throttler-storage-redis 1.2 (ioredis, one EVAL/EVALSHA), same server, 100 keys,
// a limit never reached (the common case: counting, not refusing).
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';

const KEYS = 100;
const increment = (storage, prefix) => (i) => storage.increment(`${prefix}${i % KEYS}`, 60_000, 1_000_000_000, 60_000, 'default');

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
