// Resident memory per idle connected client, in a fresh process (run with --expose-gc):
//   node --expose-gc bench/lib/memory-child.js <client> <host> <port> [count=100]
// Loads the library and opens + closes one client first (module code, JIT, lazy init are not
// counted), then measures RSS, opens `count` clients that each answer a PING (so each has its
// socket and whatever per-connection state the library keeps), lets them sit idle, and
// prints one JSON line: deltas per client in bytes.
import { openClient } from './clients.js';

const [name, host, port, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 100);
const target = { kind: 'standalone', host, port: Number(port) };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function settle() {
  for (let i = 0; i < 3; i++) {
    global.gc();
    await sleep(50);
  }
}

function sample() {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

const warm = await openClient(name, target);
await warm.ping();
await warm.close();
await settle();
await sleep(200);
await settle();
const before = sample();

const handles = [];
for (let i = 0; i < count; i++) handles.push(await openClient(name, target));
await Promise.all(handles.map((h) => h.ping()));
await sleep(300);
await settle();
const after = sample();

console.log(
  JSON.stringify({
    client: name,
    count,
    rssPerClient: (after.rss - before.rss) / count,
    heapPerClient: (after.heapUsed - before.heapUsed) / count,
    externalPerClient: (after.external - before.external) / count,
  }),
);
await Promise.all(handles.map((h) => h.close()));
process.exit(0);
