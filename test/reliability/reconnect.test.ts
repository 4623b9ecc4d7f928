/**
 * Reconnect storms: a 2 s outage under load (every connection cut, new ones refused) must
 * cost a bounded number of connection attempts, counted at the fault proxy.
 *
 * The bound, from lib/core/transport/connect.ts and lib/core/pool/server-pool.ts:
 * - `connect()` makes a round of at most R + 1 attempts (R = `connectRetry`), sleeping
 *   `backoffMs(i)` ∈ [c/2, c], c = min(2000, 50·2^(i-1)), between them.
 * - Each server pool has a reconnect gate. Until the outage is noticed, each caller that
 *   needs a connection dials on its own: at most D rounds, D = connections the load keeps
 *   open at once (one shared connection per database plus each concurrent exclusive user:
 *   here the blocking loops).
 * - From the first failure on, one round runs at a time, and the k-th waits at least
 *   minCooldown(k) = c(k+1)/2 after the previous failure; everybody else waits for it.
 * So an outage of T ms costs at most (D + N(T)) · (R + 1) attempts, where N(T) counts the
 * rounds whose minimal start times fit in T (rounds lasting 0 ms, the worst case).
 * For T = 2000 ms: rounds may start at 50, 150, 350, 750, 1550 ms → N = 5; with
 * R = 2 and D = 5 that is at most 30 attempts, whatever the number of callers.
 */
import { startRedisServer, startFaultProxy, type RedisServer, type FaultProxy } from '../../lib/testing/index.js';
import { Redis, CommunicationError } from '../../lib/core/index.js';
import { backoffMs } from '../../lib/core/transport/connect.js';
import { Load, report, within } from './support.js';

let server: RedisServer;
let proxy: FaultProxy;

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: [server.host, server.port] });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

/** The ceiling of `backoffMs(attempt)`: its result lies in [ceiling/2, ceiling]. */
function ceiling(attempt: number): number {
  return Math.min(2000, 50 * 2 ** (attempt - 1));
}

/** Gated rounds that can start within `T` ms of the first failure. */
function roundsWithin(T: number): number {
  let t = 0;
  let rounds = 0;
  for (let failed = 1; ; failed++) {
    t += ceiling(failed + 1) / 2;
    if (t > T) return rounds;
    rounds++;
  }
}

async function outage(options: { connectRetry: number; clientName?: string; label: string }) {
  const BLOCKING = 4;
  const r = new Redis({ address: proxy.address, decoder: 'utf8', connectRetry: options.connectRetry, clientName: options.clientName });
  const load = new Load(r, `${options.label}:counter`, { workers: 20 }).start();
  let stop = false;
  let blockingFailures = 0;
  const blocking = Array.from({ length: BLOCKING }, async () => {
    while (!stop) {
      try {
        await r.call('blpop', `${options.label}:nothing`, 0.05);
      } catch (err) {
        if (!(err instanceof CommunicationError)) throw err;
        blockingFailures++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  });
  let figures: Record<string, number>;
  try {
    await within(load.progress(500), 20_000, 'warm-up');
    const refusedBefore = proxy.refused;
    const connectionsBefore = proxy.connections;
    const failedBefore = load.failed + blockingFailures;
    proxy.refuse(true);
    const start = Date.now();
    proxy.cutAll();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    proxy.refuse(false);
    const T = Date.now() - start;
    const attempts = proxy.refused - refusedBefore;
    const ended = Date.now();
    await within(load.progress(500), 20_000, 'recovery');
    const recoveredAfter = Date.now() - ended;
    const D = 1 + BLOCKING;
    const R = options.connectRetry;
    const bound = (D + roundsWithin(T)) * (R + 1);
    figures = {
      outageMs: T,
      attempts,
      bound,
      rounds: roundsWithin(T),
      afterOutage: proxy.connections - connectionsBefore - attempts,
      callsFailed: load.failed + blockingFailures - failedBefore,
      recoveredAfter,
    };
    report(`reconnect-${options.label}`, figures);
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(bound);
    // After the outage: the first round to succeed opens the gate, then each user of a connection opens its own.
    expect(figures.afterOutage).toBeLessThanOrEqual(D);
  } finally {
    stop = true;
    await Promise.all(blocking);
    await load.stop();
    await r.close();
  }
  expect(load.unexpected).toEqual([]);
  expect(load.wrong).toEqual([]);
  return figures;
}

describe('reconnect backoff', () => {
  it('a 2 s outage under load makes a bounded number of connection attempts (defaults: connectRetry 2, empty handshake)', async () => {
    await outage({ connectRetry: 2, label: 'defaults' });
  });

  it('the same with a handshake that talks (CLIENT SETNAME) and connectRetry 1', async () => {
    await outage({ connectRetry: 1, clientName: 'reliability', label: 'setname' });
  });

  it('backs off exponentially with full jitter, capped at 2 s', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const values = Array.from({ length: 200 }, () => backoffMs(attempt));
      const c = ceiling(attempt);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(Math.floor(c / 2));
      expect(Math.max(...values)).toBeLessThanOrEqual(c);
      // Jitter: clients that lost the server together do not come back in step.
      expect(new Set(values).size).toBeGreaterThan(Math.min(10, c / 2));
    }
    expect(roundsWithin(2000)).toBe(5);
  });
});
