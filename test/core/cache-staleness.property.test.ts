/**
 * The client-side cache is never staler than what its client has seen: fast-check drives
 * random, overlapping reads and writes from two clients — `cached` (client-side caching,
 * through a proxy that delays its invalidations and replies by a random time per chunk,
 * so they arrive late and in every relative order TCP allows) and `plain`
 * (none) — against a real server, records when each call started and ended on one logical
 * clock, and checks every read of `cached` against the history:
 *
 * A read may return the value of any write that could have been the key's latest when the
 * read ran. It must not return a value every producer of which is *definitely older* (its
 * call ended before the other began) than a write the reading client has seen:
 * - its own writes (any command, any path: SET, EVAL, MSET, DEL, RENAME, COPY, a pipeline,
 *   a MULTI/EXEC on `connection()`, as calls or one pipeline) whose reply arrived before the
 *   read started;
 * - `plain`'s writes whose reply arrived before an invalidation of that key was delivered
 *   to `cached` (observed where the cache applies it), itself before the read started.
 *
 * Concurrent writes may have run in either order, and a read concurrent with a write may
 * return either value: the oracle allows both. Writes give each key a value no other write
 * gives it (DEL and RENAME's source give `null`, as a never-written key has).
 */
import fc from 'fast-check';
import { Redis } from '../../lib/core/index.js';
import { clientCoreOf } from '../../lib/core/redis.js';
import { useRedisServer } from '../fixtures.js';
import { startInvalidationDelayProxy, type InvalidationDelayProxy } from '../invalidation-delay-proxy.js';

const server = useRedisServer();

const KEYS = ['a', 'b', 'c'] as const;
type Key = (typeof KEYS)[number];

type Op =
  | { kind: 'get'; key: Key }
  | { kind: 'mget'; keys: [Key, Key] }
  | { kind: 'set' | 'eval' | 'rename' | 'copy' | 'pipeline'; by: 'cached' | 'plain'; key: Key }
  | { kind: 'mset' | 'del'; by: 'cached' | 'plain'; keys: [Key, Key] }
  | { kind: 'multi'; by: 'cached'; keys: [Key, Key]; batched: boolean };

/** A write or a read as it happened: logical times of the call and of its reply. */
interface Write {
  readonly key: Key;
  readonly value: string | null;
  readonly by: 'cached' | 'plain' | 'initial';
  readonly start: number;
  readonly end: number;
}
interface Read {
  readonly key: Key;
  readonly value: unknown;
  readonly start: number;
  readonly end: number;
}

const key = fc.constantFrom(...KEYS);
const twoKeys = fc.uniqueArray(key, { minLength: 2, maxLength: 2 }) as fc.Arbitrary<[Key, Key]>;
const by = fc.constantFrom('cached' as const, 'plain' as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mget' as const), keys: twoKeys }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), by, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('eval' as const, 'rename' as const, 'copy' as const, 'pipeline' as const), by: fc.constant('cached' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('mset' as const, 'del' as const), by, keys: twoKeys }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('multi' as const), by: fc.constant('cached' as const), keys: twoKeys, batched: fc.boolean() }) },
);
/** Each op with the time (ms) to wait before starting it; 0 starts it alongside the previous ones. */
const schedule = fc.array(fc.tuple(op, fc.constantFrom(0, 0, 0, 1, 2, 5)), { minLength: 10, maxLength: 40 });
/** Invalidation delays (ms) for this run, used in turn for each chunk. */
const delays = fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 8 });

const SET_SCRIPT = "return redis.call('set', KEYS[1], ARGV[1])";
const MAX_IN_FLIGHT = 6;

describe.each([2, 3] as const)('client-side cache staleness over RESP%i (property)', (respVersion) => {
  let proxy: InvalidationDelayProxy;
  let cached: Redis;
  let plain: Redis;
  let clock = 0;
  /** Invalidations applied by `cached`'s cache: logical time and keys (`null`: all). */
  let delivered: { at: number; keys: string[] | null }[] = [];

  beforeAll(async () => {
    // RESP2: the invalidation connection and the tracked ones, each chunk late by its own delay.
    proxy = await startInvalidationDelayProxy([server.host, server.port], respVersion === 2 ? ['__redis__:invalidate', 'TRACKING'] : ['TRACKING']);
    cached = new Redis({ address: proxy.address, decoder: 'utf8', respVersion, clientSideCache: true });
    plain = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    // Observe (not replace) where the cache applies an invalidation: that is "delivered".
    const cache = clientCoreOf(cached).cache! as unknown as { onInvalidate(keys: unknown): void };
    const apply = cache.onInvalidate.bind(cache);
    cache.onInvalidate = (keys: unknown) => {
      apply(keys);
      delivered.push({ at: ++clock, keys: Array.isArray(keys) ? keys.map((k) => (Buffer.isBuffer(k) ? k.toString('latin1') : String(k))) : null });
    };
    await cached.call('ping');
  });
  afterAll(async () => {
    await cached.close();
    await plain.close();
    await proxy.close();
  });

  let run = 0;
  it('never returns a value older than a write it has seen acknowledged (own, or delivered)', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, delays, async (ops, delayList) => {
        const prefix = `resp${respVersion}:r${++run}:`;
        let turn = 0;
        proxy.delayMs = () => delayList[turn++ % delayList.length];
        const writes: Write[] = KEYS.map((k) => ({ key: k, value: null, by: 'initial', start: 0, end: 0 }));
        const reads: Read[] = [];
        delivered = [];
        const inFlight = new Set<Promise<void>>();
        for (let i = 0; i < ops.length; i++) {
          const [o, waitMs] = ops[i];
          if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
          while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
          const done = perform(o, `${prefix}${i}`, prefix, writes, reads).finally(() => inFlight.delete(done));
          inFlight.add(done);
        }
        await Promise.all(inFlight);
        for (const read of reads) checkRead(read, writes, delivered, prefix);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  /** Runs one op, recording it; `id` makes its values unique. */
  async function perform(o: Op, id: string, prefix: string, writes: Write[], reads: Read[]): Promise<void> {
    const k = (name: Key) => prefix + name;
    const start = ++clock;
    const wrote = (key: Key, value: string | null) => writes.push({ key, value, by: o.kind === 'get' || o.kind === 'mget' ? 'initial' : o.by, start, end: clock });
    switch (o.kind) {
      case 'get': {
        const value = await cached.call('get', k(o.key));
        reads.push({ key: o.key, value, start, end: ++clock });
        return;
      }
      case 'mget': {
        const values = (await cached.call('mget', k(o.keys[0]), k(o.keys[1]))) as unknown[];
        const end = ++clock;
        o.keys.forEach((key, i) => reads.push({ key, value: values[i], start, end }));
        return;
      }
      case 'set':
        await (o.by === 'cached' ? cached : plain).call('set', k(o.key), id);
        ++clock;
        wrote(o.key, id);
        return;
      case 'eval':
        await cached.call('eval', SET_SCRIPT, 1, k(o.key), id);
        ++clock;
        wrote(o.key, id);
        return;
      case 'pipeline':
        await cached.pipeline([['incr', `${prefix}counter`], ['set', k(o.key), id]]);
        ++clock;
        wrote(o.key, id);
        return;
      case 'rename':
        // The value reaches the key through RENAME (SET on a key nobody reads first).
        await cached.call('set', `${id}:tmp`, id);
        await cached.call('rename', `${id}:tmp`, k(o.key));
        ++clock;
        wrote(o.key, id);
        return;
      case 'copy':
        await cached.call('set', `${id}:tmp`, id);
        await cached.call('copy', `${id}:tmp`, k(o.key), 'replace');
        ++clock;
        wrote(o.key, id);
        return;
      case 'mset':
        await (o.by === 'cached' ? cached : plain).call('mset', k(o.keys[0]), `${id}:0`, k(o.keys[1]), `${id}:1`);
        ++clock;
        wrote(o.keys[0], `${id}:0`);
        wrote(o.keys[1], `${id}:1`);
        return;
      case 'del':
        await (o.by === 'cached' ? cached : plain).call('del', k(o.keys[0]), k(o.keys[1]));
        ++clock;
        wrote(o.keys[0], null);
        wrote(o.keys[1], null);
        return;
      case 'multi': {
        const c = await cached.connection();
        try {
          if (o.batched) await c.pipeline([['multi'], ['set', k(o.keys[0]), id], ['del', k(o.keys[1])], ['exec']]);
          else {
            await c.call('multi');
            await c.call('set', k(o.keys[0]), id);
            await c.call('del', k(o.keys[1]));
            await c.call('exec');
          }
          ++clock;
          wrote(o.keys[0], id);
          wrote(o.keys[1], null);
        } finally {
          await c.release();
        }
        return;
      }
    }
  }
});

/** Fails (with the evidence) when `read` returned a value the history says it had to know was stale. */
function checkRead(read: Read, writes: readonly Write[], delivered: readonly { at: number; keys: string[] | null }[], prefix: string): void {
  const ofKey = writes.filter((w) => w.key === read.key);
  const producers = ofKey.filter((w) => w.value === read.value);
  if (producers.length === 0 || producers.every((p) => p.start > read.end)) {
    throw new Error(`read of ${read.key} returned ${String(read.value)}, which no write before its end produced`);
  }
  const invalidatedAt = delivered.filter((d) => d.at < read.start && (d.keys === null || d.keys.includes(prefix + read.key))).map((d) => d.at);
  for (const seen of ofKey) {
    const known =
      seen.end < read.start && (seen.by === 'cached' || (seen.by === 'plain' && invalidatedAt.some((at) => at > seen.end)));
    if (!known) continue;
    // Stale: every write that produced the value ended before the known write began.
    if (producers.every((p) => p.end < seen.start)) {
      throw new Error(
        `stale read of ${read.key} [${read.start}, ${read.end}]: ${String(read.value)} (written ${producers.map((p) => `[${p.start}, ${p.end}] by ${p.by}`).join(', ')}) ` +
          `although ${String(seen.value)} [${seen.start}, ${seen.end}] by ${seen.by} was known`,
      );
    }
  }
}
