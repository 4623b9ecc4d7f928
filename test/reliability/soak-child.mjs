// The soak, run by soak.test.ts in a child `node --expose-gc` on lib/core compiled to plain
// JavaScript: a million calls through call(), pipeline() and exclusive connections, with the
// heap measured after full GCs, and the process's active resources and listeners compared
// before, during and after. Prints one JSON line.
//
// usage: node --expose-gc soak-child.mjs <core/index.js> <host> <port> <calls>
import { createHook } from 'node:async_hooks';
import { pathToFileURL } from 'node:url';

const [, , modulePath, host, port, totalText] = process.argv;

// Live timers and sockets, unref'd ones included (getActiveResourcesInfo skips those).
const LIVE_TYPES = new Set(['Timeout', 'TCPWRAP', 'TLSWRAP', 'TCPCONNECTWRAP']);
const live = new Map();
createHook({
  init(id, type) {
    if (LIVE_TYPES.has(type)) live.set(id, type);
  },
  destroy(id) {
    live.delete(id);
  },
}).enable();
const { Redis } = await import(modulePath);
// The core's listeners are counted through the test-only accessor (redis.js, beside index.js).
const { clientCoreOf } = await import(new URL('redis.js', pathToFileURL(modulePath)).href);

const problems = [];
process.on('uncaughtException', (err) => problems.push(`uncaught: ${err?.stack ?? err}`));
process.on('unhandledRejection', (err) => problems.push(`unhandled rejection: ${err?.stack ?? err}`));

const ROUNDS = 10;
const total = Number(totalText);
const perRound = total / ROUNDS;
const CALL_BATCH = 1000;
const PIPELINE = 100;
const CONNECTION_CALLS = 100;

function gc() {
  globalThis.gc();
  globalThis.gc();
}

/** Active handles and requests a client could own (stdio pipes and their close requests left out), and live timers and sockets. */
function resources() {
  const counts = {};
  for (const type of live.values()) counts[`live ${type}`] = (counts[`live ${type}`] ?? 0) + 1;
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'PipeWrap' || r === 'TTYWrap' || r === 'CloseReq' || r === 'FSReqCallback') continue;
    counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}

/** Lets timers that just fired and sockets that just closed report their end (destroy hooks run late). */
async function quiesce() {
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

function processListeners() {
  return Object.fromEntries(['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning', 'SIGINT', 'SIGTERM'].map((e) => [e, process.listenerCount(e)]));
}

let wrong = 0;
let sent = 0;

/** Calls one at a time in batches of concurrent callers (the shared, auto-pipelined connection). */
async function calls(r, n, round) {
  for (let i = 0; i < n; i += CALL_BATCH) {
    const batch = [];
    for (let j = 0; j < CALL_BATCH; j++) {
      const tag = `c${round}-${i + j}`;
      batch.push(r.call('echo', tag).then((v) => v === tag || wrong++));
    }
    await Promise.all(batch);
    sent += CALL_BATCH;
  }
}

/** Pipelines of 100, ten at a time. */
async function pipelines(r, n, round) {
  for (let i = 0; i < n; i += PIPELINE * 10) {
    const batch = [];
    for (let p = 0; p < 10; p++) {
      const commands = Array.from({ length: PIPELINE }, (_, j) => ['echo', `p${round}-${i + p * PIPELINE + j}`]);
      batch.push(r.pipeline(commands).then((replies) => replies.forEach((v, j) => v === commands[j][1] || wrong++)));
    }
    await Promise.all(batch);
    sent += PIPELINE * 10;
  }
}

/** Exclusive connections taken and released by ten workers, a hundred calls each time. */
async function connections(r, n, round) {
  const perWorker = n / 10;
  await Promise.all(
    Array.from({ length: 10 }, async (_, w) => {
      for (let i = 0; i < perWorker; i += CONNECTION_CALLS) {
        const c = await r.connection();
        try {
          const batch = [];
          for (let j = 0; j < CONNECTION_CALLS; j++) {
            const tag = `x${round}-${w}-${i + j}`;
            batch.push(c.call('echo', tag).then((v) => v === tag || wrong++));
          }
          await Promise.all(batch);
        } finally {
          await c.release();
        }
        sent += CONNECTION_CALLS;
      }
    }),
  );
}

async function round(r, index) {
  await calls(r, perRound * 0.6, index);
  await pipelines(r, perRound * 0.3, index);
  await connections(r, perRound * 0.1, index);
}

await quiesce();
gc();
const baseline = { resources: resources(), listeners: processListeners() };
const started = Date.now();
const r = new Redis({ address: [host, Number(port)], decoder: 'utf8', socketTimeout: 10_000 });

await round(r, -1); // warm-up: connections opened, code optimised, pools filled
sent = 0;
await quiesce();
gc();
const heap0 = process.memoryUsage().heapUsed;
const steady = { resources: resources(), listeners: processListeners(), clientListeners: clientCoreOf(r).events.eventNames().map((e) => [e, clientCoreOf(r).events.listenerCount(e)]) };
const heap = [];
const roundResources = [];
for (let i = 0; i < ROUNDS; i++) {
  await round(r, i);
  await quiesce();
  gc();
  heap.push(process.memoryUsage().heapUsed);
  roundResources.push(resources());
}
const clientListenersAfter = clientCoreOf(r).events.eventNames().map((e) => [e, clientCoreOf(r).events.listenerCount(e)]);

// close() with thousands of calls in flight: every one settles.
const inFlight = [];
for (let i = 0; i < 5000; i++) inFlight.push(r.call('echo', `close-${i}`));
for (let i = 0; i < 20; i++) inFlight.push(r.pipeline(Array.from({ length: 100 }, (_, j) => ['echo', `closep-${i}-${j}`])));
const closing = r.close();
const outcomes = await Promise.allSettled(inFlight);
await closing;
let settledOk = 0;
let settledErr = 0;
outcomes.forEach((o) => (o.status === 'fulfilled' ? settledOk++ : settledErr++));

// Let closed sockets finish closing, then compare with the baseline.
for (let i = 0; i < 50; i++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const now = resources();
  if (JSON.stringify(now) === JSON.stringify(baseline.resources)) break;
}
await quiesce();
gc();
const after = { resources: resources(), listeners: processListeners() };

process.stdout.write(
  JSON.stringify({
    calls: sent,
    seconds: (Date.now() - started) / 1000,
    heap0,
    heap,
    baseline,
    steady,
    roundResources,
    clientListenersAfter,
    after,
    inFlight: inFlight.length,
    settledOk,
    settledErr,
    wrong,
    problems,
  }) + '\n',
);
