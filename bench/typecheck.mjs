#!/usr/bin/env node
// Compile time of typed calls: `tsc --noEmit` on a project, run N times (wall seconds and,
// on Linux, the compiler's user CPU seconds; medians), plus the compiler's own type and
// instantiation counts, which do not depend on the machine's load.
//
//   npm run bench:typecheck                           # the sample app (builds dist/ first)
//   node bench/typecheck.mjs --project=tsconfig.json --runs=3
//
// To compare with another checkout, run it there too, on the same machine at the same
// moment: the counts are exact, the seconds move with the load.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const project = arg('project', 'sample/tsconfig.json');
const runs = Number(arg('runs', '5'));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

/** User CPU seconds of this process's waited-for children (/proc/self/stat field 16), or undefined off Linux. */
function childrenUserSeconds() {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return Number(fields[16 - 3]) / 100; // fields after "pid (comm)" start at field 3; USER_HZ is 100 on Linux
}

const wall = [];
const user = [];
for (let i = 0; i < runs; i++) {
  const cpuBefore = childrenUserSeconds();
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: root, encoding: 'utf8' });
  wall.push(Number(process.hrtime.bigint() - started) / 1e9);
  const cpuAfter = childrenUserSeconds();
  if (cpuBefore !== undefined && cpuAfter !== undefined) user.push(cpuAfter - cpuBefore);
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(1);
  }
}

const diagnostics = execFileSync(process.execPath, [tsc, '--noEmit', '-p', project, '--extendedDiagnostics'], { cwd: root, encoding: 'utf8' });
const stat = (label) => new RegExp(`^${label}:\\s+(\\S+)`, 'm').exec(diagnostics)?.[1];
const list = (xs) => xs.map((s) => s.toFixed(2)).join(', ');

console.log(`tsc --noEmit -p ${project} (${runs} runs)`);
console.log(`  wall  median ${median(wall).toFixed(2)} s  [${list(wall)}]`);
if (user.length > 0) console.log(`  user  median ${median(user).toFixed(2)} s  [${list(user)}]`);
console.log(`  files ${stat('Files')}, types ${stat('Types')}, instantiations ${stat('Instantiations')}, check time ${stat('Check time')}`);
