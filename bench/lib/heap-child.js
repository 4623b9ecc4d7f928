// Heap growth across many calls, in a fresh process (run with --expose-gc):
//   node --expose-gc bench/lib/heap-child.js <client> <host> <port> [calls=1000000]
// Warms up with 50k calls, then issues `calls` commands (batches of 100 concurrent calls,
// alternating a batch of SETs and a batch of GETs over 1000 keys with 100 B values, plus one
// pipeline of 100 SETs every 100 batches), and takes heapUsed after forced GCs at 0%, 20%,
// ..., 100%. Prints one JSON line.
import { openClient } from './clients.js';
import { VALUE_100 } from './workloads.js';

const [name, host, port, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? 1_000_000);
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:heap:${i}`);
const PIPE = KEYS.slice(0, 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function settledHeap() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await sleep(20);
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

const handle = await openClient(name, { kind: 'standalone', host, port: Number(port) });

let batchNo = 0;
async function doCalls(n) {
  let done = 0;
  while (done < n) {
    batchNo++;
    if (batchNo % 100 === 0) {
      await handle.pipelineSet(PIPE, VALUE_100);
      done += PIPE.length;
      continue;
    }
    const base = (batchNo * 100) % KEYS.length;
    const batch = new Array(100);
    if (batchNo % 2 === 0) {
      for (let i = 0; i < 100; i++) batch[i] = handle.set(KEYS[base + i], VALUE_100);
    } else {
      for (let i = 0; i < 100; i++) batch[i] = handle.get(KEYS[base + i]);
    }
    await Promise.all(batch);
    done += 100;
  }
}

await doCalls(50_000);
const samples = [await settledHeap()];
const t0 = performance.now();
for (let step = 0; step < 5; step++) {
  await doCalls(calls / 5);
  samples.push(await settledHeap());
}
const seconds = (performance.now() - t0) / 1000;
const first = samples[0];
const last = samples[samples.length - 1];
console.log(
  JSON.stringify({
    client: name,
    calls,
    seconds,
    heapUsedDelta: last.heapUsed - first.heapUsed,
    rssDelta: last.rss - first.rss,
    externalDelta: last.external - first.external,
    heapUsedSeries: samples.map((s) => s.heapUsed),
  }),
);
await handle.close();
process.exit(0);
