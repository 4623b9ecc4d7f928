#!/usr/bin/env node
// Standalone runner for bench/integrations/microservices.js (to be merged into
// bench/integrations.js): starts its own redis-server, runs every contender of every
// workload in interleaved rounds, prints a markdown table (median ops/s, spread, ratio).
//
//   npm run bench:microservices
//   node bench/integrations-microservices.js --rounds=5 --seconds=2
import { startRedisServer } from '../dist/testing/index.js';
import { fmtRate, fmtRatio, markdownTable, median, spread } from './lib/stats.js';
import { formatMachine, machineInfo } from './lib/machine.js';
import { BUILTIN_LABEL, OURS_LABEL, workloads } from './integrations/microservices.js';

const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const arg = (name, fallback) => {
  const hit = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.split('=')[1]);
};
const rounds = arg('rounds', 5);
const seconds = arg('seconds', 2);
const warmup = arg('warmup', 1);

/** Runs batches back to back for `ms` milliseconds; returns ops/s. */
async function measure(run, ms) {
  const { batch, opsPerBatch } = run;
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    await batch();
    ops += opsPerBatch;
  }
  return (ops * 1000) / (performance.now() - start);
}

const machine = machineInfo();
const server = await startRedisServer();
const rows = [];
try {
  for (const [name, workload] of Object.entries(workloads)) {
    const samples = Object.fromEntries(Object.keys(workload.contenders).map((label) => [label, []]));
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so neither always runs on a warmer machine.
      const labels = Object.keys(workload.contenders);
      if (round % 2 === 1) labels.reverse();
      for (const label of labels) {
        const run = await workload.contenders[label]({ port: server.port });
        try {
          await measure(run, warmup * 1000);
          samples[label].push(await measure(run, seconds * 1000));
        } finally {
          await run.close();
        }
        log(`${name} round ${round + 1}/${rounds} ${label}: ${fmtRate(samples[label].at(-1))} ops/s`);
      }
    }
    const ours = median(samples[OURS_LABEL]);
    const builtin = median(samples[BUILTIN_LABEL]);
    rows.push([workload.title, fmtRate(ours), `±${(spread(samples[OURS_LABEL]) * 50).toFixed(0)}%`, fmtRate(builtin), `±${(spread(samples[BUILTIN_LABEL]) * 50).toFixed(0)}%`, fmtRatio(ours / builtin)]);
  }
} finally {
  await server.stop();
}

console.log(`Microservices transport, ops/s (median of ${rounds} rounds × ${seconds}s, interleaved)\n`);
console.log(formatMachine(machine));
console.log();
console.log(markdownTable(['workload', OURS_LABEL, 'spread', BUILTIN_LABEL, 'spread', 'ours / built-in'], rows, ['l', 'r', 'r', 'r', 'r', 'r']));
