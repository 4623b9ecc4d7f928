import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { Redis } from '../../lib/index.js';
import { JustRedisThrottlerStorage, type JustRedisThrottlerRecord } from '../../lib/throttler/index.js';
import { startRedisCluster, startRedisServer, type RedisClusterSetup, type RedisServer } from '../../lib/testing/index.js';
import { eventually } from '../helpers.js';
import { buildForNode, startNodeApp, type NodeApp, type NodeBuild } from '../node-app.js';

let server: RedisServer;
let cluster: RedisClusterSetup;
let build: NodeBuild;

beforeAll(async () => {
  // Each assigned as it comes, so afterAll stops whatever started even if another failed.
  await Promise.all([
    startRedisServer().then((s) => (server = s)),
    startRedisCluster({ masters: 3, replicasPerMaster: 0 }).then((c) => (cluster = c)),
    buildForNode(['test/throttler/fixtures/throttled-app.ts']).then((b) => (build = b)),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop(), build?.remove()]);
});

const setups: [string, () => string][] = [
  ['standalone', () => server.url],
  ['cluster', () => cluster.url],
];

/** @nestjs/throttler's in-memory storage in a child process (Jest cannot load the package). */
class MemoryStorageOracle {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (record: JustRedisThrottlerRecord) => void>();
  #next = 0;
  readonly ready: Promise<void>;

  constructor() {
    this.#child = fork(join(import.meta.dirname, 'fixtures', 'memory-storage-oracle.mjs'), [], { execArgv: ['--no-warnings'] });
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('error', reject);
      this.#child.on('message', (m: { ready?: true; id?: number; record?: JustRedisThrottlerRecord }) => {
        if (m.ready) return resolve();
        this.#pending.get(m.id!)?.(m.record!);
        this.#pending.delete(m.id!);
      });
    });
  }

  increment(...args: [string, number, number, number, string]): Promise<JustRedisThrottlerRecord> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send({ id, args });
    });
  }

  close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.disconnect();
    return exited;
  }
}

/** A throttled app in its own process (see fixtures/throttled-app.ts); resolves once it serves. */
async function throttledApp(url: string, throttler: { limit: number; ttl: number; blockDuration?: number }): Promise<NodeApp & { http: string }> {
  const env: Record<string, string> = { REDIS_URL: url, LIMIT: String(throttler.limit), TTL: String(throttler.ttl) };
  if (throttler.blockDuration !== undefined) env.BLOCK = String(throttler.blockDuration);
  const app = await startNodeApp(join(build.dir, 'test', 'throttler', 'fixtures', 'throttled-app.js'), env, /listening \d+/);
  return Object.assign(app, { http: `http://127.0.0.1:${/listening (\d+)/.exec(app.output())![1]}` });
}

describe.each(setups)('JustRedisThrottlerStorage on %s', (_name, url) => {
  let redis: Redis;
  let storage: JustRedisThrottlerStorage;

  beforeAll(() => {
    redis = Redis.fromUrl(url(), { decoder: 'utf8' });
    storage = new JustRedisThrottlerStorage(redis);
  });
  afterAll(async () => {
    await redis?.close();
  });

  /** The apps' guard uses the same key in every test (same route, same client address). */
  async function forgetHits(): Promise<void> {
    for await (const key of redis.scanIterator({ match: 'throttler:*' })) await redis.call('del', key);
  }

  it('counts and blocks exactly as the in-memory storage (random sequences, long windows)', async () => {
    const memory = new MemoryStorageOracle();
    await memory.ready;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(0, 30_000),
        fc.array(fc.constantFrom('t1', 't2'), { minLength: 1, maxLength: 12 }),
        async (limit, blockDuration, names) => {
          const key = `model-${run++}`;
          {
            for (const name of names) {
              const expected = await memory.increment(key, 60_000, limit, blockDuration, name);
              const actual = await storage.increment(key, 60_000, limit, blockDuration, name);
              expect({ totalHits: actual.totalHits, isBlocked: actual.isBlocked }).toEqual({ totalHits: expected.totalHits, isBlocked: expected.isBlocked });
              // Whole seconds from two clocks read microseconds apart: equal unless a second boundary fell between.
              expect(Math.abs(actual.timeToExpire - expected.timeToExpire)).toBeLessThanOrEqual(1);
              expect(Math.abs(actual.timeToBlockExpire - expected.timeToBlockExpire)).toBeLessThanOrEqual(1);
            }
          }
        },
      ),
      { numRuns: 40 },
    ).finally(() => memory.close());
  });

  it('gives 50 concurrent increments totalHits 1..50, each once', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => storage.increment('concurrent', 60_000, 100, 60_000, 'default')));
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(results.every((r) => !r.isBlocked && r.timeToExpire === 60)).toBe(true);
  });

  it('blocks past the limit for blockDuration, then starts a fresh window, and leaves no key behind', async () => {
    const hit = () => storage.increment('blocking', 600, 2, 1500, 'default');
    expect((await hit()).totalHits).toBe(1);
    expect((await hit()).totalHits).toBe(2);
    const blocked = await hit();
    expect(blocked).toEqual({ totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 2 });
    // Hits made while blocked are not counted; older hits drop out of the window as they expire.
    const unblocked = await eventually(async (): Promise<JustRedisThrottlerRecord | false> => {
      const record = await hit();
      return !record.isBlocked && record;
    }, 5000, 100);
    if (unblocked === false) throw new Error('unreachable: eventually returns a passing value');
    // The first request after the block opens a fresh count.
    expect(unblocked.totalHits).toBe(1);
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
    await eventually(async () => (await redis.call('exists', 'throttler:blocking')) === 0, 5000, 100);
  });

  it('expires each hit on its own, also when a shorter ttl follows a longer one', async () => {
    expect((await storage.increment('sliding', 60_000, 2, 60_000, 'default')).totalHits).toBe(1);
    expect((await storage.increment('sliding', 300, 2, 60_000, 'default')).totalHits).toBe(2);
    // Past the limit: blocked, and hits made while blocked are not counted, so the count seen
    // from now on is the live hits: the two 300 ms hits go, the 60 s one stays.
    expect(await storage.increment('sliding', 300, 2, 60_000, 'default')).toMatchObject({ totalHits: 3, isBlocked: true });
    await eventually(async () => (await storage.increment('sliding', 300, 2, 60_000, 'default')).totalHits === 1, 5000, 100);
    expect(await storage.increment('sliding', 300, 2, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: true });
  });

  it('never misreads the hits an earlier build stored as 14 digits in h:<name>', async () => {
    // Three live hits as digits, the layout before hits were packed 6 bytes each in p:<name>.
    const later = Date.now() + 60_000;
    await redis.call('hset', 'throttler:legacy', 'e', later, 'b', 0, 'x', 0, 'l', later, 'h:default', String(later).padStart(14, '0').repeat(3));
    await redis.call('pexpire', 'throttler:legacy', 60_000);
    expect(await storage.increment('legacy', 60_000, 100, 0, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('rejects bad numbers before sending anything', async () => {
    await expect(storage.increment('bad', -1, 1, 1, 'x')).rejects.toThrow(RangeError);
    await expect(storage.increment('bad', 1000, Number.NaN, 1, 'x')).rejects.toThrow(RangeError);
    await expect(storage.increment('bad', 1000, 1, Infinity, 'x')).rejects.toThrow(RangeError);
    expect(await redis.call('exists', 'throttler:bad')).toBe(0);
  });

  it('two app instances behind one limit of 3: the combined 4th request gets 429', async () => {
    const [one, two] = await Promise.all([throttledApp(url(), { limit: 3, ttl: 60_000 }), throttledApp(url(), { limit: 3, ttl: 60_000 })]);
    try {
      await request(one.http).get('/ping').expect(200);
      await request(two.http).get('/ping').expect(200);
      await request(one.http).get('/ping').expect(200);
      const refused = await request(two.http).get('/ping').expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await request(one.http).get('/ping').expect(429);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await forgetHits();
    }
  });

  it('honours blockDuration: 429 with Retry-After while blocked, served again after', async () => {
    const app = await throttledApp(url(), { limit: 1, ttl: 500, blockDuration: 2000 });
    try {
      const http = request(app.http);
      await http.get('/ping').expect(200);
      const blockedFrom = Date.now();
      const refused = await http.get('/ping').expect(429);
      expect(refused.headers['retry-after']).toBe('2');
      // Refused until the block (2 s) is over, although the window (500 ms) ended long before.
      const statuses: number[] = [];
      await eventually(async () => statuses.push((await http.get('/ping')).status) && statuses.at(-1) === 200, 10_000, 100);
      expect(Date.now() - blockedFrom).toBeGreaterThanOrEqual(2000);
      expect(statuses.slice(0, -1).every((status) => status === 429)).toBe(true);
    } finally {
      await app.stop();
      await forgetHits();
    }
  });
});
