// The workloads. Each one: `setup(handle)` (idempotent data preparation, done by every
// client's worker before its first round) and `round(handle, ms)`, which loops until `ms`
// have passed and returns the number of Redis commands it completed. The worker times the
// round itself (from the first command issued to the last reply received), so ops/s =
// commands / elapsed seconds.
//
// Replies are checked (length or value) on every iteration: a client that returns the wrong
// thing fails the workload instead of posting a number.

export const VALUE_100 = 'v'.repeat(92) + '-bench-1'; // 100 bytes
export const MIB = 1024 * 1024;
const KEYSPACE = 10_000;
const MIXED_KEYS = Array.from({ length: KEYSPACE }, (_, i) => `bench:mixed:${String(i).padStart(5, '0')}`);
const PIPE_KEYS = Array.from({ length: 1000 }, (_, i) => `bench:pipe:${i}`);
const SERIAL_KEY = 'bench:serial';
const GET_KEY = 'bench:get100';
const BIG_KEY = 'bench:1mib';

/**
 * A flag that a timer raises after `ms`: the loops test a boolean instead of reading the
 * clock on every command (performance.now() per command was ~3 % of the client's CPU at
 * 400k ops/s). Every iteration awaits I/O, so the timer fires on time.
 */
function stopAfter(ms) {
  const flag = { stop: false };
  setTimeout(() => {
    flag.stop = true;
  }, ms);
  return flag;
}

function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
  if (typeof value === 'string') return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
  return typeof value;
}

async function prefillMixed(handle) {
  // 10k keys, 500 in flight at a time (works on every client and on a cluster).
  for (let start = 0; start < KEYSPACE; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(KEYSPACE, start + 500); i++) batch.push(handle.set(MIXED_KEYS[i], VALUE_100));
    await Promise.all(batch);
  }
}

/**
 * One mixed-load worker: 80% GET / 20% SET of a 100 B value over 10k keys, keys and
 * operations drawn from a xorshift32 PRNG seeded per worker, so every client issues the very
 * same sequence of commands.
 */
async function mixedWorker(handle, seed, flag) {
  let s = seed | 0 || 1;
  let ops = 0;
  while (!flag.stop) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const r = s >>> 0;
    const key = MIXED_KEYS[r % KEYSPACE];
    if ((r >>> 16) % 100 < 80) {
      const v = await handle.get(key);
      if (v.length !== 100) throw new Error(`mixed GET returned ${describe(v)}`);
    } else {
      await handle.set(key, VALUE_100);
    }
    ops++;
  }
  return ops;
}

function mixed(concurrency, kind) {
  return {
    target: kind,
    async setup(handle) {
      await prefillMixed(handle);
    },
    async round(handle, ms) {
      const flag = stopAfter(ms);
      const workers = new Array(concurrency);
      for (let i = 0; i < concurrency; i++) workers[i] = mixedWorker(handle, 0x9e3779b9 ^ ((i + 1) * 2654435761), flag);
      const counts = await Promise.all(workers);
      let ops = 0;
      for (const c of counts) ops += c;
      return ops;
    },
  };
}

/** name -> definition. `title` goes into the table; `group` lets --only pick several. */
export const WORKLOADS = {
  serial: {
    title: 'serial SET+GET (1 in flight)',
    target: 'standalone',
    async setup() {},
    async round(handle, ms) {
      const flag = stopAfter(ms);
      let ops = 0;
      while (!flag.stop) {
        await handle.set(SERIAL_KEY, VALUE_100);
        const v = await handle.get(SERIAL_KEY);
        if (v !== VALUE_100) throw new Error(`serial GET returned ${describe(v)}`);
        ops += 2;
      }
      return ops;
    },
  },
  'get-100': {
    title: '100 concurrent GETs',
    target: 'standalone',
    async setup(handle) {
      await handle.set(GET_KEY, VALUE_100);
    },
    async round(handle, ms) {
      const flag = stopAfter(ms);
      let ops = 0;
      while (!flag.stop) {
        const batch = new Array(100);
        for (let i = 0; i < 100; i++) batch[i] = handle.get(GET_KEY);
        const replies = await Promise.all(batch);
        if (replies[0] !== VALUE_100 || replies[99] !== VALUE_100) throw new Error(`GET returned ${describe(replies[0])}`);
        ops += 100;
      }
      return ops;
    },
  },
  'pipeline-1000': {
    title: 'pipelines of 1000 SETs',
    target: 'standalone',
    async setup() {},
    async round(handle, ms) {
      const flag = stopAfter(ms);
      let ops = 0;
      while (!flag.stop) {
        const replies = await handle.pipelineSet(PIPE_KEYS, VALUE_100);
        if (!Array.isArray(replies) || replies.length !== 1000) throw new Error(`pipeline returned ${describe(replies)}`);
        ops += 1000;
      }
      return ops;
    },
  },
  'set-1000': {
    title: '1000 concurrent SETs (Promise.all, auto-pipelined)',
    target: 'standalone',
    async setup() {},
    async round(handle, ms) {
      const flag = stopAfter(ms);
      let ops = 0;
      while (!flag.stop) {
        const batch = new Array(1000);
        for (let i = 0; i < 1000; i++) batch[i] = handle.set(PIPE_KEYS[i], VALUE_100);
        const replies = await Promise.all(batch);
        if (replies[999] !== 'OK') throw new Error(`SET returned ${describe(replies[999])}`);
        ops += 1000;
      }
      return ops;
    },
  },
  'get-1mib': {
    title: 'GET of a 1 MiB value (Buffers, serial)',
    target: 'standalone',
    buffers: true,
    async setup(handle) {
      const big = Buffer.alloc(MIB);
      for (let i = 0; i < MIB; i++) big[i] = (i * 31 + 7) & 0xff;
      await handle.set(BIG_KEY, big);
    },
    async round(handle, ms) {
      const flag = stopAfter(ms);
      let ops = 0;
      while (!flag.stop) {
        const v = await handle.get(BIG_KEY);
        if (!Buffer.isBuffer(v) || v.length !== MIB || v[MIB - 1] !== (((MIB - 1) * 31 + 7) & 0xff)) {
          throw new Error(`1 MiB GET returned ${describe(v)}`);
        }
        ops++;
      }
      return ops;
    },
  },
  'mixed-c1': { title: 'mixed 80/20 GET/SET, 10k keys, 100 B, concurrency 1', group: 'mixed', ...mixed(1, 'standalone') },
  'mixed-c10': { title: 'mixed 80/20, concurrency 10', group: 'mixed', ...mixed(10, 'standalone') },
  'mixed-c100': { title: 'mixed 80/20, concurrency 100', group: 'mixed', ...mixed(100, 'standalone') },
  'mixed-c1000': { title: 'mixed 80/20, concurrency 1000', group: 'mixed', ...mixed(1000, 'standalone') },
  'cluster-mixed-c100': { title: 'cluster (3 masters) mixed 80/20, concurrency 100', group: 'cluster', ...mixed(100, 'cluster') },
};

/** Workloads that are not client rounds (handled by run.js itself). */
export const SPECIAL_WORKLOADS = {
  ceiling: 'redis-benchmark (C) ceiling',
  memory: 'resident memory per idle connected client',
  heap: 'heap growth across 1M calls (--expose-gc)',
};
