#!/usr/bin/env node
// The hottest functions of a V8 .cpuprofile (from `node --cpu-prof`, bench/profile.js, or
// Chrome DevTools), by self time.
//
//   node bench/top-functions.js <file.cpuprofile> [--top=25] [--by=function|file] [--filter=dist/]
//
//   --top=N        rows to print (default 25)
//   --by=file      add self time up per script instead of per function
//   --filter=TEXT  only rows whose function or script contains TEXT (percentages stay of the whole)
//
// Self time: the sample-to-sample intervals spent with the function on top of the stack.
// Total time: time with the function anywhere on the stack (recursion counted once).
// Percentages are of the busy time, i.e. excluding the (idle) node (time spent waiting in
// epoll for the server's replies); (garbage collector) and (program) are listed like
// functions.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [k, ...v] = a.slice(2).split('=');
      return [k, v.length ? v.join('=') : 'true'];
    }),
);
if (positional.length !== 1) {
  console.error('usage: node bench/top-functions.js <file.cpuprofile> [--top=25] [--by=function|file] [--filter=TEXT]');
  process.exit(2);
}
const top = Number(flags.top ?? 25);
const byFile = flags.by === 'file';
const filter = flags.filter;

const profile = JSON.parse(readFileSync(positional[0], 'utf8'));
const { nodes, samples, timeDeltas } = profile;
const byId = new Map(nodes.map((n) => [n.id, n]));

// Sample i covers [t_i, t_{i+1}): its duration is timeDeltas[i + 1]; the last one gets the
// median interval.
const selfUs = new Map();
const sortedDeltas = [...timeDeltas].sort((a, b) => a - b);
const medianDelta = sortedDeltas[sortedDeltas.length >> 1] ?? 0;
for (let i = 0; i < samples.length; i++) {
  const d = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : medianDelta;
  selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, d));
}

const cwd = process.cwd();
function shortUrl(url) {
  if (!url) return '';
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  if (u.startsWith(cwd + path.sep)) u = u.slice(cwd.length + 1);
  u = u.replace(/^.*\/node_modules\//, 'node_modules/');
  return u;
}

function keyOf(node) {
  const cf = node.callFrame;
  const url = shortUrl(cf.url);
  if (byFile) return url || cf.functionName || '(native)';
  const name = cf.functionName || '(anonymous)';
  return url ? `${name}  ${url}:${cf.lineNumber + 1}:${cf.columnNumber + 1}` : name;
}

// Parent links, for the total (inclusive) time.
const parent = new Map();
for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map();
const total = new Map();
let all = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  all += us;
  if (node.callFrame.functionName === '(idle)') idle += us;
  const key = keyOf(node);
  self.set(key, (self.get(key) ?? 0) + us);
  // Walk up the stack; count each key once per sample.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = keyOf(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}
const busy = all - idle;
const ms = (us) => (us / 1000).toFixed(1);
const pct = (us) => `${((100 * us) / (busy || 1)).toFixed(1)}%`;

console.log(`${positional[0]}`);
console.log(
  `sampled ${ms(all)} ms: busy ${ms(busy)} ms, idle ${ms(idle)} ms (${((100 * idle) / (all || 1)).toFixed(1)}%); ` +
    `${samples.length} samples, ~${medianDelta} µs apart; percentages are of busy time`,
);
const rows = [...self.entries()]
  .filter(([k]) => k !== '(idle)' && k !== '(root)')
  .filter(([k]) => !filter || k.includes(filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top);
console.log('');
console.log(`${'self ms'.padStart(9)} ${'self'.padStart(6)} ${'total'.padStart(6)}  ${byFile ? 'script' : 'function  script:line:col'}`);
for (const [k, us] of rows) {
  console.log(`${ms(us).padStart(9)} ${pct(us).padStart(6)} ${pct(total.get(k) ?? 0).padStart(6)}  ${k}`);
}
