#!/usr/bin/env node
// Side-by-side benchmark of the Nest ecosystem integrations against the packages users would
// otherwise plug in, on one redis-server this script starts, through the built dist/.
//
//   npm run bench:integrations                 # build, then the full run
//   node bench/integrations.js --quick         # short validation run (noisy)
//   node bench/integrations.js --only=cache-get,throttler-increment --rounds=7 --seconds=3
//
// Workloads live in bench/integrations/*.js, each exporting `workloads`: an array of
//   { name, title, concurrency, ours: { label, open(ctx) }, theirs: { label, open(ctx) } }
// where `open({ server, dist })` resolves to `{ op(i) → Promise, close() → Promise }`. A new
// file there (e.g. microservices.js) is picked up as it is. Rounds are interleaved (ours,
// theirs, theirs, ours, ...) so that drift in machine load hits both sides alike; the table
// gives the median ops/s, the spread between rounds and ours / theirs, and the CPU time this
// process spent per operation (user + system, from process.cpuUsage: on a busy machine it
// moves far less than ops/s, which waits on whatever else runs; redis-server's time is not in it).
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatMachine, machineInfo } from './lib/machine.js';
import { fmtRate, fmtRatio, markdownTable, median, spread } from './lib/stats.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !['quick', 'only', 'rounds', 'seconds', 'warmup'].includes(m[1])) {
      log(`unknown argument ${a}\nusage: node bench/integrations.js [--quick] [--only=w1,w2] [--rounds=N] [--seconds=S] [--warmup=S]`);
      process.exit(2);
    }
    return [m[1], m[2] ?? true];
  }),
);
const quick = !!args.quick;
const num = (v, d) => (v === undefined || v === true ? d : Number(v));
const opts = { rounds: num(args.rounds, quick ? 3 : 5), seconds: num(args.seconds, quick ? 0.5 : 2), warmup: num(args.warmup, quick ? 0.3 : 1) };

const dist = pathToFileURL(here('../dist')).href;
const files = readdirSync(here('./integrations')).filter((f) => f.endsWith('.js')).sort();
const workloads = [];
for (const file of files) {
  // microservices.js has its own runner (integrations-microservices.js: a service and a caller per round).
  const exported = (await import(`./integrations/${file}`)).workloads;
  if (Array.isArray(exported)) workloads.push(...exported);
}
const only = typeof args.only === 'string' ? new Set(args.only.split(',')) : null;
const selected = workloads.filter((w) => !only || only.has(w.name));
if (selected.length === 0) {
  log(`no workload selected; known: ${workloads.map((w) => w.name).join(', ')}`);
  process.exit(2);
}

/** Operations per second of `op` run by `concurrency` loops for `seconds`, and CPU µs per operation. */
async function measure(op, concurrency, seconds) {
  let done = 0;
  let next = 0;
  let stop = false;
  const timer = setTimeout(() => (stop = true), seconds * 1000);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const loop = async () => {
    while (!stop) {
      await op(next++);
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    clearTimeout(timer);
  }
  const used = process.cpuUsage(cpu);
  return { rate: done / (Number(process.hrtime.bigint() - start) / 1e9), cpu: (used.user + used.system) / done };
}

const { startRedisServer } = await import(`${dist}/testing/index.js`);
const machine = machineInfo();
log(`bench:integrations: ${quick ? 'QUICK (noisy) ' : ''}${opts.rounds} rounds × ${opts.seconds}s per side and workload (+${opts.warmup}s warm-up), interleaved`);
log(formatMachine(machine));
const server = await startRedisServer();
const rows = [];
try {
  for (const w of selected) {
    const sides = [w.ours, w.theirs];
    const opened = [];
    try {
      for (const side of sides) opened.push(await side.open({ server, dist }));
      for (const o of opened) await measure(o.op, w.concurrency, opts.warmup);
      const samples = [[], []];
      for (let r = 0; r < opts.rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const s of order) samples[s].push(await measure(opened[s].op, w.concurrency, opts.seconds));
      }
      const rates = samples.map((side) => side.map((x) => x.rate));
      const [ours, theirs] = rates.map(median);
      const [oursCpu, theirsCpu] = samples.map((side) => median(side.map((x) => x.cpu)));
      log(`${w.name}: ours ${fmtRate(ours)} ops/s ${oursCpu.toFixed(1)} µs CPU/op, theirs ${fmtRate(theirs)} ops/s ${theirsCpu.toFixed(1)} µs CPU/op`);
      rows.push([
        w.title,
        w.ours.label, fmtRate(ours), `±${(spread(rates[0]) * 50).toFixed(0)}%`, oursCpu.toFixed(1),
        w.theirs.label, fmtRate(theirs), `±${(spread(rates[1]) * 50).toFixed(0)}%`, theirsCpu.toFixed(1),
        fmtRatio(ours / theirs), fmtRatio(theirsCpu / oursCpu),
      ]);
    } finally {
      for (const o of opened) await o.close();
    }
  }
} finally {
  await server.stop();
}
process.stdout.write(
  `${formatMachine(machine)}\n${opts.rounds} rounds × ${opts.seconds}s, medians: ops/s (± half the spread between rounds), client CPU µs per op; ratios > 1 favour ours\n\n` +
    markdownTable(
      ['workload', 'ours', 'ops/s', '±', 'µs CPU/op', 'theirs', 'ops/s', '±', 'µs CPU/op', 'ops/s ratio', 'CPU/op ratio'],
      rows,
      ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
    ) +
    '\n',
);
