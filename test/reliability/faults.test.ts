/**
 * Network faults under concurrent load, through the fault proxy in front of a real server:
 * connection cuts, silence (with and without socketTimeout), slow and dripping links, and
 * blocking commands caught in a cut.
 */
import { startRedisServer, startFaultProxy, type RedisServer, type FaultProxy } from '../../lib/testing/index.js';
import { Redis, CommunicationError, RedisError } from '../../lib/core/index.js';
import { eventually } from '../helpers.js';
import { Load, report, within } from './support.js';

let server: RedisServer;
let proxy: FaultProxy;
let direct: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: [server.host, server.port] });
  direct = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
});

afterEach(() => {
  proxy.blackhole(false);
  proxy.drip(false);
  proxy.latency(0);
  proxy.refuse(false);
});

afterAll(async () => {
  await direct?.close();
  await proxy?.close();
  await server?.stop();
});

/** Clients blocked on the server right now (BLPOP, XREAD BLOCK). */
async function blockedClients(): Promise<number> {
  const info = (await direct.call('info', 'clients')) as string;
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
}

function settledWithin<T>(promise: Promise<T>, ms: number, what: string) {
  return within(
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    ms,
    what,
  );
}

describe('connection cuts under load', () => {
  it('never acknowledges a write the server lost, never hands a reply to the wrong caller, and recovers by itself', async () => {
    const CUTS = 100;
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    let disconnects = 0;
    let reconnects = 0;
    r.on('disconnect', () => disconnects++);
    r.on('reconnect', () => reconnects++);
    const load = new Load(r, 'cuts:counter', { workers: 40 }).start();
    try {
      for (let cut = 0; cut < CUTS; cut++) {
        // Cut only once the client has shown it is working again (by itself).
        await within(load.progress(200), 20_000, `recovery before cut ${cut}`);
        // A random moment, so cuts land before, during and after the server ran a command.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        proxy.cutAll();
      }
      await within(load.progress(300), 20_000, 'recovery after the last cut');
    } finally {
      await load.stop();
      await r.close();
    }
    const counter = Number(await direct.call('get', 'cuts:counter'));
    report('cuts', { cuts: CUTS, acked: load.acked, counter, incrFailed: load.incrFailed, ok: load.ok, failed: load.failed, disconnects, reconnects, codes: Object.fromEntries(load.failureCodes) });
    expect(load.unexpected).toEqual([]);
    expect(load.wrong).toEqual([]);
    // Every acknowledged INCR is on the server; the ones not acknowledged all failed with an error.
    expect(load.acked).toBeLessThanOrEqual(counter);
    expect(counter - load.acked).toBeLessThanOrEqual(load.incrFailed);
    expect(Math.max(...load.incrReplies)).toBeLessThanOrEqual(counter);
    expect(load.failed).toBeGreaterThan(0);
    expect(disconnects).toBeGreaterThanOrEqual(CUTS);
    expect(reconnects).toBeGreaterThanOrEqual(CUTS);
  });

  it('keeps every reply with its caller over a slow link that drips bytes, and through a cut mid-frame', async () => {
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    const load = new Load(r, 'drip:counter', { workers: 10 }).start();
    try {
      await within(load.progress(100), 20_000, 'warm-up');
      proxy.latency(15);
      proxy.drip(true);
      await within(load.progress(30), 30_000, 'progress while dripping');
      proxy.cutAll(); // lands in the middle of frames: bytes trickle one at a time
      await within(load.progress(30), 30_000, 'progress after a cut while dripping');
      proxy.drip(false);
      proxy.latency(0);
      await within(load.progress(200), 20_000, 'progress after the link healed');
    } finally {
      await load.stop();
      await r.close();
    }
    const counter = Number(await direct.call('get', 'drip:counter'));
    report('drip', { acked: load.acked, counter, ok: load.ok, failed: load.failed });
    expect(load.unexpected).toEqual([]);
    expect(load.wrong).toEqual([]);
    expect(load.acked).toBeLessThanOrEqual(counter);
    expect(counter - load.acked).toBeLessThanOrEqual(load.incrFailed);
  });
});

describe('a silent server (blackhole: sockets open, nothing passes)', () => {
  it('with socketTimeout: pending calls fail in time with a RedisError, later calls succeed once it answers again', async () => {
    const TIMEOUT = 250;
    const r = new Redis({ address: proxy.address, decoder: 'utf8', socketTimeout: TIMEOUT });
    const load = new Load(r, 'silence:counter', {
      workers: 20,
      allowed: (e) => e instanceof CommunicationError && e.code === 'ERR_SOCKET_TIMEOUT',
    }).start();
    let timedOutAfter = 0;
    let recoveredAfter = 0;
    try {
      await within(load.progress(300), 20_000, 'warm-up');
      proxy.blackhole(true);
      const started = Date.now();
      const err = (await r.call('echo', 'into the void').catch((e: unknown) => e)) as RedisError;
      timedOutAfter = Date.now() - started;
      expect(err).toBeInstanceOf(CommunicationError);
      expect(err.code).toBe('ERR_SOCKET_TIMEOUT');
      expect(timedOutAfter).toBeGreaterThanOrEqual(TIMEOUT - 5);
      expect(timedOutAfter).toBeLessThan(15_000);
      // Stay silent a while longer: reconnects into the silence time out too.
      const failedBefore = load.failed;
      await eventually(() => load.failed > failedBefore + 20, 15_000);
      proxy.blackhole(false);
      const healed = Date.now();
      await within(load.progress(300), 20_000, 'recovery after the silence');
      recoveredAfter = Date.now() - healed;
    } finally {
      proxy.blackhole(false);
      await load.stop();
      await r.close();
    }
    const counter = Number(await direct.call('get', 'silence:counter'));
    report('silence-with-socketTimeout', { socketTimeout: TIMEOUT, timedOutAfter, recoveredAfter, acked: load.acked, counter, failed: load.failed, codes: Object.fromEntries(load.failureCodes) });
    expect(load.unexpected).toEqual([]);
    expect(load.wrong).toEqual([]);
    expect(load.acked).toBeLessThanOrEqual(counter);
  });

  it('without socketTimeout: calls wait for as long as the silence lasts, then complete with their own replies', async () => {
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    expect(await r.call('ping')).toBe('PONG');
    proxy.blackhole(true);
    let settled = 0;
    const calls = Array.from({ length: 50 }, (_, i) => r.call('echo', `held-${i}`).finally(() => settled++));
    const incr = r.call('incr', 'held:counter').finally(() => settled++);
    // Nothing can settle them while the link is silent: no timer is armed without socketTimeout.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(0);
    proxy.blackhole(false);
    expect(await within(Promise.all(calls), 20_000, 'held calls')).toEqual(calls.map((_, i) => `held-${i}`));
    expect(await incr).toBe(1);
    await r.close();
  });

  it('without socketTimeout: calls waiting in the silence fail with a CommunicationError when the link is cut, and the next call works', async () => {
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    expect(await r.call('ping')).toBe('PONG');
    proxy.blackhole(true);
    const calls = Array.from({ length: 50 }, (_, i) => settledWithin(r.call('echo', `cut-${i}`), 20_000, `call ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.cutAll();
    proxy.blackhole(false);
    for (const outcome of await Promise.all(calls)) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error).toBeInstanceOf(CommunicationError);
    }
    expect(await r.call('echo', 'after')).toBe('after');
    await r.close();
  });
});

describe('blocking commands and cuts', () => {
  it('BLPOP and XREAD BLOCK waiting before a cut fail (never hang); issued after it, they work', async () => {
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    await r.call('del', 'blk:list', 'blk:stream');
    await r.call('xadd', 'blk:stream', '*', 'seed', '1');
    const blpop = settledWithin(r.call('blpop', 'blk:list', 0), 20_000, 'BLPOP caught in the cut');
    const xread = settledWithin(r.call('xread', 'BLOCK', 0, 'STREAMS', 'blk:stream', '$'), 20_000, 'XREAD caught in the cut');
    await eventually(async () => (await blockedClients()) === 2, 10_000);
    proxy.cutAll();
    for (const outcome of [await blpop, await xread]) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error).toBeInstanceOf(CommunicationError);
    }
    await eventually(async () => (await blockedClients()) === 0, 10_000);

    const pop = r.call('blpop', 'blk:list', 0);
    const read = r.call('xread', 'BLOCK', 0, 'STREAMS', 'blk:stream', '$');
    await eventually(async () => (await blockedClients()) === 2, 10_000);
    await direct.call('rpush', 'blk:list', 'item');
    await direct.call('xadd', 'blk:stream', '*', 'field', 'value');
    expect(await within(pop, 10_000, 'BLPOP after the cut')).toEqual(['blk:list', 'item']);
    const streams = (await within(read, 10_000, 'XREAD after the cut')) as [string, [string, string[]][]][];
    expect(streams[0][0]).toBe('blk:stream');
    expect(streams[0][1][0][1]).toEqual(['field', 'value']);
    await r.close();
  });

  it('consumers in a BLPOP loop through repeated cuts: no item twice, and items lost only to failed BLPOPs (at most once)', async () => {
    const ITEMS = 3000;
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    await direct.call('del', 'jobs');
    const received: string[] = [];
    let failedPops = 0;
    let stop = false;
    const consumers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const item = (await r.call('blpop', 'jobs', 0.2)) as [string, string] | null;
          if (item !== null) received.push(item[1]);
        } catch (err) {
          if (!(err instanceof CommunicationError)) throw err;
          failedPops++;
        }
      }
    });
    for (let cut = 0; cut < 5; cut++) {
      await direct.call('rpush', 'jobs', ...Array.from({ length: ITEMS / 5 }, (_, j) => `job-${cut * (ITEMS / 5) + j}`));
      const before = received.length;
      await eventually(() => received.length > before + 100, 20_000);
      proxy.cutAll(); // while the consumers pop as fast as they can
    }
    await eventually(async () => Number(await direct.call('llen', 'jobs')) === 0, 20_000);
    stop = true;
    await Promise.all(consumers);
    await r.close();
    const remaining = Number(await direct.call('llen', 'jobs'));
    const lost = ITEMS - received.length - remaining;
    report('blpop-cuts', { items: ITEMS, received: received.length, remaining, lost, failedPops });
    expect(new Set(received).size).toBe(received.length);
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(lost).toBeLessThanOrEqual(failedPops);
  });
});
