// What dropping a moved cluster slot from the client-side cache costs (no server: the
// cache's memory alone). `npm run build` first. Compares the slot index this client keeps
// (one CRC16 per key entering the cache) with its alternatives: emptying the whole cache on
// every owner change, or hashing every cached key on each change.
import { LruCache } from '../dist/core/cache/lru-cache.js';
import { slotOfCacheKey } from '../dist/core/cache/slot-index.js';
import { SlotMap } from '../dist/core/cluster/slot-map.js';

const N = Number(process.argv[2] ?? 100_000);
const keys = Array.from({ length: N }, (_, i) => `user:${i}:profile`);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

function fill(lru) {
  const start = process.hrtime.bigint();
  for (const key of keys) lru.settle(key, `0\u0000utf8\u00000\u0000get\u0000${key}`, lru.begin(key), 'v', true);
  return ms(start);
}

function median(runs, fn) {
  const times = Array.from({ length: runs }, fn).sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

// Interleaved, so both see the same machine load.
const plainRuns = [];
const indexedRuns = [];
for (let i = 0; i < 11; i++) {
  plainRuns.push(fill(new LruCache(N, undefined)));
  const lru = new LruCache(N, undefined);
  lru.dropSlots([0]); // starts the slot index
  indexedRuns.push(fill(lru));
}
const mid = (runs) => runs.sort((a, b) => a - b)[runs.length >> 1];
const plain = mid(plainRuns);
const indexed = mid(indexedRuns);

const lru = new LruCache(N, undefined);
lru.dropSlots([0]);
fill(lru);
let slot = 1;
const dropOne = median(201, () => {
  const start = process.hrtime.bigint();
  lru.dropSlots([slot++]);
  return ms(start);
});
const scanAll = median(5, () => {
  const start = process.hrtime.bigint();
  let hits = 0;
  for (const key of keys) if (slotOfCacheKey(key) === 42) hits++;
  return ms(start) + hits * 0;
});
const clearAll = median(5, () => {
  const full = new LruCache(N, undefined);
  fill(full);
  const start = process.hrtime.bigint();
  full.clear();
  return ms(start);
});

const layout = (split) => [
  { master: ['h', 1], replicas: [], ranges: [[0, split]] },
  { master: ['h', 2], replicas: [], ranges: [[split + 1, 16383]] },
];
const before = SlotMap.from(layout(8191), (hp) => hp[1]);
const after = SlotMap.from(layout(8000), (hp) => hp[1]);
const diff = median(21, () => {
  const start = process.hrtime.bigint();
  before.changedIn(after);
  return ms(start);
});

console.log(`${N.toLocaleString('en')} cached keys, median of runs, node ${process.version}`);
console.log(`fill (begin+settle per key), no slot index:   ${plain.toFixed(1)} ms (${((plain * 1e6) / N).toFixed(0)} ns/key)`);
console.log(`fill (begin+settle per key), with slot index: ${indexed.toFixed(1)} ms (${((indexed * 1e6) / N).toFixed(0)} ns/key)`);
console.log(`drop one moved slot (indexed, ~${Math.round(N / 16384)} keys): ${(dropOne * 1000).toFixed(1)} µs`);
console.log(`alternative, hash every cached key per change: ${scanAll.toFixed(1)} ms (${((scanAll * 1e6) / N).toFixed(0)} ns/key)`);
console.log(`alternative, empty the whole cache per change: ${clearAll.toFixed(1)} ms (and every entry must be read again)`);
console.log(`slot-map diff on refresh (16,384 slots):       ${(diff * 1000).toFixed(0)} µs`);
