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

/**
 * Runs batches back to back for `ms` milliseconds; returns ops/s and this process's CPU time
 * per op in µs (client and service both live here; redis-server not counted). On a loaded
 * machine ops/s swings with the neighbours, CPU per op much less.
 */
async function measure(run, ms) {
  const { batch, opsPerBatch } = run;
  let ops = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    await batch();
    ops += opsPerBatch;
  }
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { rate: (ops * 1000) / elapsed, cpuPerOp: (used.user + used.system) / ops };
}

const machine = machineInfo();
const server = await startRedisServer();
const rows = [];
const pct = (values) => `±${(spread(values) * 50).toFixed(0)}%`;
try {
  for (const [name, workload] of Object.entries(workloads)) {
    const labels = Object.keys(workload.contenders);
    const rates = Object.fromEntries(labels.map((label) => [label, []]));
    const cpus = Object.fromEntries(labels.map((label) => [label, []]));
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 1 ? [...labels].reverse() : labels;
      for (const label of order) {
        const run = await workload.contenders[label]({ port: server.port });
        try {
          await measure(run, warmup * 1000);
          const { rate, cpuPerOp } = await measure(run, seconds * 1000);
          rates[label].push(rate);
          cpus[label].push(cpuPerOp);
        } finally {
          await run.close();
        }
        log(`${name} round ${round + 1}/${rounds} ${label}: ${fmtRate(rates[label].at(-1))} ops/s, ${cpus[label].at(-1).toFixed(0)} µs CPU/op`);
      }
    }
    const [ours, builtin] = [OURS_LABEL, BUILTIN_LABEL];
    rows.push([
      workload.title,
      `${fmtRate(median(rates[ours]))} (${pct(rates[ours])})`,
      `${fmtRate(median(rates[builtin]))} (${pct(rates[builtin])})`,
      fmtRatio(median(rates[ours]) / median(rates[builtin])),
      `${median(cpus[ours]).toFixed(0)} (${pct(cpus[ours])})`,
      `${median(cpus[builtin]).toFixed(0)} (${pct(cpus[builtin])})`,
      fmtRatio(median(cpus[builtin]) / median(cpus[ours])),
    ]);
  }
} finally {
  await server.stop();
}

console.log(`Microservices transport (median of ${rounds} rounds × ${seconds}s, interleaved; ± half the round-to-round range)\n`);
console.log(formatMachine(machine));
console.log();
console.log(
  markdownTable(
    ['workload', `${OURS_LABEL} ops/s`, `${BUILTIN_LABEL} ops/s`, 'ops/s ratio', 'ours µs CPU/op', 'built-in µs CPU/op', 'CPU ratio (built-in / ours)'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  ),
);
