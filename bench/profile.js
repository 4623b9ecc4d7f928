#!/usr/bin/env node
// CPU profiles of one client on chosen workloads, taken with `node --cpu-prof`, then the top
// functions by self time (bench/top-functions.js).
//
//   npm run build && node bench/profile.js                       # justredis, get-100 and pipeline-1000, 10 s each
//   node bench/profile.js --workload=get-1mib --seconds=20
//   node bench/profile.js --client=ioredis-ap --workload=get-100 # a peer, for comparison
//   node bench/profile.js --interval=100                         # sample every 100 µs (default 250)
//
// Each profile runs in a fresh process: bench/lib/worker.js in standalone mode (setup, 1 s
// warm-up, then the measured loop), against a fresh redis-server (a 3-master cluster for
// cluster-* workloads). The setup and warm-up are in the profile too; at 10 s they are a
// small share. Files go to bench/profiles/<client>-<workload>-<time>.cpuprofile; open them in
// Chrome DevTools (Performance → Load profile) or VS Code for flame graphs.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_NAMES } from './lib/clients.js';
import { WORKLOADS } from './lib/workloads.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const flags = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
    return [m[1], m[2] ?? 'true'];
  }),
);
const client = flags.client ?? 'justredis';
const workloads = (flags.workload ?? 'get-100,pipeline-1000').split(',');
const seconds = Number(flags.seconds ?? 10);
const interval = Number(flags.interval ?? 250);
const top = Number(flags.top ?? 25);
const outDir = flags.out ?? here('./profiles/');
if (!CLIENT_NAMES.includes(client)) throw new Error(`unknown client ${client} (${CLIENT_NAMES.join(', ')})`);
for (const w of workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w} (${Object.keys(WORKLOADS).join(', ')})`);
mkdirSync(outDir, { recursive: true });

const { startRedisServer, startRedisCluster } = await import('../dist/testing/index.js');

function run(cmd, argv) {
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { maxBuffer: 64 << 20, timeout: (seconds + 120) * 1000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

for (const workload of workloads) {
  const cluster = WORKLOADS[workload].target === 'cluster';
  const server = cluster ? await startRedisCluster({ masters: 3, replicasPerMaster: 0 }) : await startRedisServer();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `${client}-${workload}-${stamp}.cpuprofile`;
  try {
    const targetArgs = cluster
      ? [`--cluster=${server.addresses.map(([h, p]) => `${h}:${p}`).join(',')}`]
      : [`--host=${server.host}`, `--port=${server.port}`];
    const out = await run(process.execPath, [
      '--cpu-prof',
      `--cpu-prof-dir=${outDir}`,
      `--cpu-prof-name=${name}`,
      `--cpu-prof-interval=${interval}`,
      here('./lib/worker.js'),
      `--client=${client}`,
      `--workload=${workload}`,
      `--seconds=${seconds}`,
      ...targetArgs,
    ]);
    const result = JSON.parse(out.trim().split('\n').pop());
    console.log(`\n### ${client} / ${workload}: ${result.opsPerSec.toLocaleString('en-US')} ops/s under the profiler (${seconds} s)`);
    const file = `${outDir.replace(/\/$/, '')}/${name}`;
    process.stdout.write(await run(process.execPath, [here('./top-functions.js'), file, `--top=${top}`]));
    console.log('');
    process.stdout.write(await run(process.execPath, [here('./top-functions.js'), file, '--by=file', '--top=12']));
  } finally {
    await server.stop();
  }
}
