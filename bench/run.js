#!/usr/bin/env node
// Side-by-side benchmark: this client vs ioredis (with and without auto-pipelining) and
// node-redis, on servers it starts itself. See bench/README.md.
//
//   npm run bench                      # build, then the full run (~8 min)
//   node bench/run.js --quick          # short validation run (noisy, ~2 min)
//   node bench/run.js --only=get-100,pipeline-1000 --rounds=7 --seconds=3
//   node bench/run.js --list
//
// Progress goes to stderr, the markdown report to stdout; raw samples go to
// bench/results/<timestamp>.json (or --json=<path>).
import { execFile, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { CLIENT_LABELS, CLIENT_NAMES, OURS, PEERS } from './lib/clients.js';
import { formatMachine, machineInfo } from './lib/machine.js';
import { fmtBytes, fmtInt, fmtRate, fmtRatio, markdownTable, median, spread } from './lib/stats.js';
import { SPECIAL_WORKLOADS, WORKLOADS } from './lib/workloads.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node bench/run.js [--quick] [--only=w1,w2] [--clients=c1,c2] [--rounds=N]
       [--seconds=S] [--warmup=S] [--resp=2|3] [--heap-calls=N] [--heap-all] [--memory-rounds=N]
       [--memory-clients=N] [--ceiling-rounds=N] [--json=path] [--list] [--help]`;

const KNOWN_OPTIONS = new Set([
  'quick', 'only', 'clients', 'rounds', 'seconds', 'warmup', 'resp', 'heap-calls', 'heap-all',
  'memory-rounds', 'memory-clients', 'ceiling-rounds', 'json', 'list', 'help',
]);

function parseArgs(argv) {
  const out = {};
  for (const a of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m || !KNOWN_OPTIONS.has(m[1])) {
      log(`unknown argument ${a}\n${USAGE}`);
      process.exit(2);
    }
    out[m[1]] = m[2] ?? true;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const ALL_WORKLOADS = [...Object.keys(WORKLOADS), ...Object.keys(SPECIAL_WORKLOADS)];
if (args.help) {
  log(USAGE);
  process.exit(0);
}
if (args.list) {
  for (const [name, w] of Object.entries(WORKLOADS)) log(`${name.padEnd(20)} ${w.title}${w.group ? `  [group: ${w.group}]` : ''}`);
  for (const [name, title] of Object.entries(SPECIAL_WORKLOADS)) log(`${name.padEnd(20)} ${title}`);
  process.exit(0);
}

const quick = !!args.quick;
const num = (v, d) => (v === undefined || v === true ? d : Number(v));
const opts = {
  quick,
  rounds: num(args.rounds, quick ? 3 : 5),
  seconds: num(args.seconds, quick ? 0.4 : 1.5),
  warmup: num(args.warmup, quick ? 0.3 : 1),
  resp: args.resp === undefined ? undefined : Number(args.resp),
  heapCalls: num(args['heap-calls'], quick ? 200_000 : 1_000_000),
  heapAll: !!args['heap-all'],
  memoryCount: num(args['memory-clients'], 100),
  memoryRounds: num(args['memory-rounds'], quick ? 1 : 3),
  ceilingRounds: num(args['ceiling-rounds'], quick ? 1 : 3),
};
if (!(opts.rounds >= 1 && opts.seconds > 0 && opts.warmup >= 0)) {
  log(`bad --rounds/--seconds/--warmup\n${USAGE}`);
  process.exit(2);
}
if (opts.resp !== undefined && opts.resp !== 2 && opts.resp !== 3) {
  log('--resp must be 2 or 3');
  process.exit(2);
}

function selectWorkloads(spec) {
  if (!spec || spec === true) return ALL_WORKLOADS;
  const chosen = new Set();
  for (const part of String(spec).split(',').map((s) => s.trim()).filter(Boolean)) {
    const hits = ALL_WORKLOADS.filter((w) => w === part || WORKLOADS[w]?.group === part);
    if (hits.length === 0) {
      log(`unknown workload "${part}"; --list shows them`);
      process.exit(2);
    }
    for (const h of hits) chosen.add(h);
  }
  return ALL_WORKLOADS.filter((w) => chosen.has(w));
}

const selected = selectWorkloads(args.only);
const clients = args.clients ? String(args.clients).split(',') : CLIENT_NAMES;
for (const c of clients) {
  if (!CLIENT_NAMES.includes(c)) {
    log(`unknown client "${c}" (${CLIENT_NAMES.join(', ')})`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Servers

const { startRedisServer, startRedisCluster } = await import('../dist/testing/index.js');

const needsStandalone = selected.some((w) => (WORKLOADS[w] ? WORKLOADS[w].target === 'standalone' : true));
const needsCluster = selected.some((w) => WORKLOADS[w]?.target === 'cluster');

const machine = machineInfo();
log(`bench: ${quick ? 'QUICK (validation only, numbers are noisy) ' : ''}${opts.rounds} rounds × ${opts.seconds}s per client and workload (+${opts.warmup}s warm-up), rounds interleaved`);
log(formatMachine(machine));
if (machine.loadAvg[0] > 0.5 * machine.cores) log(`WARNING: load average ${machine.loadAvg[0]} on ${machine.cores} cores — the machine is busy, figures will be noisy`);

let server;
let cluster;
let clusterError;
if (needsStandalone) {
  server = await startRedisServer();
  log(`redis-server on ${server.host}:${server.port}`);
}
if (needsCluster) {
  try {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    log(`cluster: ${cluster.addresses.map(([h, p]) => `${h}:${p}`).join(' ')}`);
  } catch (error) {
    clusterError = `cluster did not start: ${error.message}`;
    log(clusterError);
  }
}

async function shutdown() {
  await Promise.allSettled([server?.stop(), cluster?.stop()]);
}

// ---------------------------------------------------------------------------------------------
// Client workloads: one worker process per (client, workload), rounds interleaved

function spawnWorker() {
  const child = fork(here('./lib/worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  child.on('error', () => {});
  return child;
}

function request(child, msg, timeoutMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
      resolve({ ok: false, error: 'worker is gone' });
      return;
    }
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m) => {
      cleanup();
      resolve(m);
    };
    const onExit = (code, signal) => {
      cleanup();
      resolve({ ok: false, error: `worker exited (${signal ?? code})` });
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      resolve({ ok: false, error: `no answer within ${Math.round(timeoutMs / 1000)} s (hung?)` });
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(msg);
  });
}

function firstLine(text) {
  return String(text).split('\n')[0].slice(0, 200);
}

/**
 * GET + SET calls the server(s) have executed so far (INFO commandstats, through redis-cli,
 * outside the timed window). Every round's client-side count is checked against the
 * server's: a client that answered from somewhere else, or lost commands, is caught.
 */
async function serverGetSetCalls(kind) {
  const nodes = kind === 'cluster' ? cluster.nodes : [server];
  let total = 0;
  for (const node of nodes) {
    const text = await node.cli('info', 'commandstats');
    for (const m of text.matchAll(/^cmdstat_(get|set):calls=(\d+)/gm)) total += Number(m[2]);
  }
  return total;
}

/** results[workload][client] = { samples: [ops/s per round], error?: string } */
const results = {};
const errors = [];

async function runClientWorkload(name) {
  const w = WORKLOADS[name];
  const cell = Object.fromEntries(clients.map((c) => [c, { samples: [], error: undefined }]));
  results[name] = cell;
  log(`\n== ${name}: ${w.title}`);
  let target;
  if (w.target === 'cluster') {
    if (!cluster) {
      for (const c of clients) cell[c].error = clusterError ?? 'no cluster';
      return;
    }
    target = { kind: 'cluster', addresses: cluster.addresses };
  } else {
    target = { kind: 'standalone', host: server.host, port: server.port };
  }
  const fail = (c, phase, error) => {
    cell[c].error = `${phase}: ${firstLine(error)}`;
    errors.push({ workload: name, client: c, phase, error });
    log(`   ${c} ${phase} FAILED: ${firstLine(error)}`);
  };

  const workers = {};
  for (const c of clients) {
    workers[c] = spawnWorker();
    const res = await request(workers[c], { cmd: 'setup', client: c, workload: name, target, resp: opts.resp }, 60_000);
    if (!res.ok) fail(c, 'setup', res.error);
  }
  const live = () => clients.filter((c) => !cell[c].error);
  const roundTimeout = (s) => s * 1000 + 30_000;

  if (opts.warmup > 0) {
    for (const c of live()) {
      const res = await request(workers[c], { cmd: 'run', ms: opts.warmup * 1000 }, roundTimeout(opts.warmup));
      if (!res.ok) fail(c, 'warm-up', res.error);
    }
  }
  for (let r = 0; r < opts.rounds; r++) {
    // Interleaved, and the starting client rotates every round so no client always follows the same one.
    const order = clients.map((_, i) => clients[(i + r) % clients.length]);
    const line = [];
    for (const c of order) {
      if (cell[c].error) continue;
      const before = await serverGetSetCalls(w.target);
      const res = await request(workers[c], { cmd: 'run', ms: opts.seconds * 1000 }, roundTimeout(opts.seconds));
      if (!res.ok) {
        fail(c, `round ${r + 1}`, res.error);
        continue;
      }
      const served = (await serverGetSetCalls(w.target)) - before;
      if (served !== res.ops) {
        const msg = `round ${r + 1}: the client counted ${res.ops} commands but the server executed ${served} GET/SET`;
        errors.push({ workload: name, client: c, phase: 'check', error: msg });
        log(`   ${c} CHECK FAILED: ${msg}`);
      }
      const rate = res.ops / res.seconds;
      cell[c].samples.push(rate);
      line.push(`${c} ${fmtRate(rate)}`);
    }
    log(`   round ${r + 1}/${opts.rounds}: ${line.join(' | ')}`);
  }
  await Promise.all(
    clients.map(async (c) => {
      const child = workers[c];
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.connected) child.send({ cmd: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// redis-benchmark ceiling

const CEILING_CONFIGS = [
  { name: '-P 16 -c 50', args: ['-P', '16', '-c', '50'], n: quick ? 200_000 : 2_000_000 },
  { name: '-c 50 (no pipelining)', args: ['-c', '50'], n: quick ? 40_000 : 100_000 },
  { name: '-c 1 (serial)', args: ['-c', '1'], n: quick ? 10_000 : 30_000 },
];
const ceiling = {}; // config name -> { SET: [], GET: [], error? }

function execText(cmd, argv, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} failed: ${error.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

async function runCeiling() {
  log('\n== ceiling: redis-benchmark');
  for (const cfg of CEILING_CONFIGS) ceiling[cfg.name] = { SET: [], GET: [] };
  for (let r = 0; r < opts.ceilingRounds; r++) {
    for (const cfg of CEILING_CONFIGS) {
      const argv = ['-h', server.host, '-p', String(server.port), ...cfg.args, '-t', 'get,set', '-q', '-n', String(cfg.n)];
      try {
        const out = await execText('redis-benchmark', argv, 120_000);
        const found = {};
        for (const line of out.split(/[\r\n]+/)) {
          const m = /^(SET|GET): ([\d.]+) requests per second/.exec(line.trim());
          if (m) found[m[1]] = Number(m[2]);
        }
        if (found.SET === undefined || found.GET === undefined) throw new Error(`could not parse: ${out.slice(-300)}`);
        ceiling[cfg.name].SET.push(found.SET);
        ceiling[cfg.name].GET.push(found.GET);
        log(`   round ${r + 1}: redis-benchmark ${cfg.name}: SET ${fmtInt(found.SET)} GET ${fmtInt(found.GET)}`);
      } catch (error) {
        ceiling[cfg.name].error = firstLine(error.message);
        errors.push({ workload: 'ceiling', client: 'redis-benchmark', phase: cfg.name, error: error.message });
        log(`   redis-benchmark ${cfg.name} FAILED: ${firstLine(error.message)}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Memory per idle client and heap growth (fresh child processes with --expose-gc)

function runChild(script, childArgs, timeoutMs) {
  return execText(process.execPath, ['--expose-gc', here(script), ...childArgs], timeoutMs).then((out) => {
    const line = out.trim().split('\n').pop();
    return JSON.parse(line);
  });
}

const MEMORY_CLIENTS = clients.filter((c) => c !== 'ioredis-ap'); // same objects as ioredis
const memory = Object.fromEntries(MEMORY_CLIENTS.map((c) => [c, { rss: [], heap: [], external: [], error: undefined }]));

async function runMemory() {
  log(`\n== memory: ${opts.memoryCount} idle connected clients per library`);
  for (let r = 0; r < opts.memoryRounds; r++) {
    const order = MEMORY_CLIENTS.map((_, i) => MEMORY_CLIENTS[(i + r) % MEMORY_CLIENTS.length]);
    for (const c of order) {
      if (memory[c].error) continue;
      try {
        const res = await runChild('./lib/memory-child.js', [c, server.host, String(server.port), String(opts.memoryCount)], 120_000);
        memory[c].rss.push(res.rssPerClient);
        memory[c].heap.push(res.heapPerClient);
        memory[c].external.push(res.externalPerClient);
        log(`   round ${r + 1}: ${c}: RSS ${fmtBytes(res.rssPerClient)}/client, heap ${fmtBytes(res.heapPerClient)}/client, external ${fmtBytes(res.externalPerClient)}/client`);
      } catch (error) {
        memory[c].error = firstLine(error.message);
        errors.push({ workload: 'memory', client: c, phase: 'run', error: error.message });
        log(`   ${c} FAILED: ${firstLine(error.message)}`);
      }
    }
  }
}

const heap = {};

async function runHeap() {
  const who = opts.heapAll ? MEMORY_CLIENTS : clients.filter((c) => c === OURS);
  log(`\n== heap: ${fmtInt(opts.heapCalls)} calls (${who.join(', ')})`);
  for (const c of who) {
    try {
      const res = await runChild('./lib/heap-child.js', [c, server.host, String(server.port), String(opts.heapCalls)], 600_000);
      heap[c] = res;
      log(`   ${c}: heapUsed Δ ${fmtBytes(res.heapUsedDelta)} over ${fmtInt(res.calls)} calls (${res.heapUsedSeries.map(fmtBytes).join(' → ')})`);
    } catch (error) {
      heap[c] = { error: firstLine(error.message) };
      errors.push({ workload: 'heap', client: c, phase: 'run', error: error.message });
      log(`   ${c} FAILED: ${firstLine(error.message)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Run everything

const startedAt = new Date();
try {
  for (const name of selected) {
    if (WORKLOADS[name]) await runClientWorkload(name);
    else if (name === 'ceiling') await runCeiling();
    else if (name === 'memory') await runMemory();
    else if (name === 'heap') await runHeap();
  }
} finally {
  await shutdown();
}
const loadEnd = os.loadavg().map((x) => +x.toFixed(2));
const minutes = ((Date.now() - startedAt.getTime()) / 60_000).toFixed(1);

// ---------------------------------------------------------------------------------------------
// Report

function summarize(name) {
  const cell = results[name];
  const medians = Object.fromEntries(clients.map((c) => [c, cell[c].error ? NaN : median(cell[c].samples)]));
  const peerMedians = PEERS.filter((p) => clients.includes(p) && Number.isFinite(medians[p]));
  const bestPeer = peerMedians.length ? peerMedians.reduce((a, b) => (medians[b] > medians[a] ? b : a)) : undefined;
  const best = bestPeer ? medians[bestPeer] : NaN;
  return { medians, bestPeer, best, ratio: (c) => medians[c] / best };
}

const out = [];
out.push(`## Benchmark run ${startedAt.toISOString()}${quick ? ' — QUICK VALIDATION RUN (noisy, not for publication)' : ''}`);
out.push('');
out.push(formatMachine(machine));
out.push(`- load average at end: ${loadEnd.join(' / ')}; run took ${minutes} min`);
out.push(
  `- ${opts.rounds} rounds of ${opts.seconds} s per (client, workload) after a ${opts.warmup} s warm-up, rounds interleaved across clients (start rotated each round); each client in its own process; protocol: ${opts.resp ? `RESP${opts.resp} for all` : 'each library’s default (justredis RESP2, ioredis/node-redis RESP3)'}`,
);
out.push('');

const clientWorkloads = selected.filter((w) => WORKLOADS[w]);
if (clientWorkloads.length) {
  out.push('### Throughput (median ops/s; in brackets: ratio to the best peer on that row)');
  out.push('');
  const header = ['workload', ...clients.map((c) => CLIENT_LABELS[c]), 'best peer'];
  const rows = clientWorkloads.map((name) => {
    const s = summarize(name);
    return [
      name,
      ...clients.map((c) => {
        const cell = results[name][c];
        if (cell.error) return 'error';
        return `${fmtRate(s.medians[c])} (${fmtRatio(s.ratio(c))})`;
      }),
      s.bestPeer ? CLIENT_LABELS[s.bestPeer] : '–',
    ];
  });
  out.push(markdownTable(header, rows, ['l', ...clients.map(() => 'r'), 'l']));
  out.push('');
  out.push('Round-to-round spread, (max − min) / median:');
  out.push('');
  const spreadRows = clientWorkloads.map((name) => [
    name,
    ...clients.map((c) => {
      const cell = results[name][c];
      if (cell.error) return 'error';
      const sp = spread(cell.samples);
      return Number.isFinite(sp) ? `${(sp * 100).toFixed(1)}% (n=${cell.samples.length})` : `n=${cell.samples.length}`;
    }),
  ]);
  out.push(markdownTable(['workload', ...clients.map((c) => CLIENT_LABELS[c])], spreadRows, ['l', ...clients.map(() => 'r')]));
  out.push('');
  out.push('Workloads: ' + clientWorkloads.map((n) => `\`${n}\` ${WORKLOADS[n].title}`).join('; ') + '.');
  out.push('');
}

if (selected.includes('ceiling') && Object.keys(ceiling).length) {
  out.push(`### Ceiling: redis-benchmark (C), median of ${opts.ceilingRounds} (ops/s)`);
  out.push('');
  const rows = CEILING_CONFIGS.map((cfg) => {
    const c = ceiling[cfg.name];
    return [`redis-benchmark ${cfg.name} -t get,set -q -n ${cfg.n}`, c.SET.length ? fmtInt(median(c.SET)) : 'error', c.GET.length ? fmtInt(median(c.GET)) : 'error'];
  });
  out.push(markdownTable(['command', 'SET', 'GET'], rows, ['l', 'r', 'r']));
  out.push('');
}

if (selected.includes('memory')) {
  out.push(`### Memory per idle connected client (${opts.memoryCount} clients, median of ${opts.memoryRounds}, fresh process each)`);
  out.push('');
  const rssMed = Object.fromEntries(MEMORY_CLIENTS.map((c) => [c, memory[c].error ? NaN : median(memory[c].rss)]));
  const peerRss = PEERS.filter((p) => MEMORY_CLIENTS.includes(p) && Number.isFinite(rssMed[p])).map((p) => rssMed[p]);
  const leanest = peerRss.length ? Math.min(...peerRss) : NaN;
  const rows = MEMORY_CLIENTS.map((c) =>
    memory[c].error
      ? [CLIENT_LABELS[c], 'error', 'error', 'error', '–']
      : [CLIENT_LABELS[c], fmtBytes(rssMed[c]), fmtBytes(median(memory[c].heap)), fmtBytes(median(memory[c].external)), fmtRatio(rssMed[c] / leanest)],
  );
  out.push(
    markdownTable(['client', 'RSS / client', 'heapUsed / client', 'external / client', 'RSS ÷ leanest peer (lower is better)'], rows, ['l', 'r', 'r', 'r', 'r']),
  );
  out.push('');
}

const HEAP_LIMIT = 1 << 20; // "no growth": heapUsed after forced GC within 1 MiB of where it started
if (selected.includes('heap') && Object.keys(heap).length) {
  out.push('### Heap growth across calls (heapUsed after forced GC, --expose-gc, fresh process)');
  out.push('');
  const rows = Object.entries(heap).map(([c, h]) =>
    h.error
      ? [CLIENT_LABELS[c], 'error', '', '', '', h.error]
      : [
          CLIENT_LABELS[c],
          fmtInt(h.calls),
          fmtBytes(h.heapUsedDelta),
          `${(h.heapUsedDelta / h.calls).toFixed(3)} B`,
          fmtBytes(h.rssDelta),
          h.heapUsedSeries.map(fmtBytes).join(' → '),
        ],
  );
  out.push(markdownTable(['client', 'calls', 'heapUsed Δ', 'per call', 'RSS Δ', 'heapUsed at 0, 20, …, 100 %'], rows, ['l', 'r', 'r', 'r', 'r', 'l']));
  out.push('');
}

// Targets from issue 5.
const targets = [];
const target = (label, name, need, vs) => {
  if (!results[name] || !clients.includes(OURS)) return;
  const s = summarize(name);
  let ratio;
  let against;
  if (vs) {
    const cands = vs.filter((p) => clients.includes(p) && Number.isFinite(s.medians[p]));
    const best = cands.length ? Math.max(...cands.map((p) => s.medians[p])) : NaN;
    against = cands.length ? CLIENT_LABELS[cands.reduce((a, b) => (s.medians[b] > s.medians[a] ? b : a))] : '–';
    ratio = s.medians[OURS] / best;
  } else {
    ratio = s.ratio(OURS);
    against = s.bestPeer ? CLIENT_LABELS[s.bestPeer] : '–';
  }
  targets.push([label, `≥ ${need.toFixed(2)}×`, fmtRatio(ratio), against, Number.isFinite(ratio) ? (ratio >= need ? 'met' : 'MISSED') : 'n/a']);
};
target('100 concurrent GETs', 'get-100', 1.25);
target('pipelines of 1000', 'pipeline-1000', 1.25);
target('serial SET+GET', 'serial', 1.0);
target('1 MiB values', 'get-1mib', 1.0);
target('cluster workload vs ioredis', 'cluster-mixed-c100', 1.25, ['ioredis', 'ioredis-ap']);
if (heap[OURS]) {
  const h = heap[OURS];
  targets.push([
    'no heap growth across 1M calls',
    `Δ ≤ ${fmtBytes(HEAP_LIMIT)}`,
    h.error ? 'error' : fmtBytes(h.heapUsedDelta),
    `${fmtInt(h.calls ?? 0)} calls`,
    h.error ? 'n/a' : h.heapUsedDelta <= HEAP_LIMIT && h.calls >= 1_000_000 ? 'met' : h.heapUsedDelta <= HEAP_LIMIT ? 'met (fewer calls)' : 'MISSED',
  ]);
}
if (targets.length) {
  out.push('### Targets (issue 5), justredis');
  out.push('');
  out.push(markdownTable(['target', 'needed', 'measured', 'against', 'status'], targets, ['l', 'r', 'r', 'l', 'l']));
  out.push('');
}

if (errors.length) {
  out.push('### Errors');
  out.push('');
  for (const e of errors) out.push(`- ${e.workload} / ${e.client} (${e.phase}): ${firstLine(e.error)}`);
  out.push('');
}

const report = out.join('\n');
process.stdout.write(`\n${report}\n`);

const jsonPath = args.json && args.json !== true ? String(args.json) : here(`./results/${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
try {
  mkdirSync(here('./results/'), { recursive: true });
  writeFileSync(
    jsonPath,
    JSON.stringify({ startedAt, machine, loadEnd, options: opts, clients, results, ceiling, memory, heap, errors, report }, null, 1),
  );
  log(`raw results: ${jsonPath}`);
} catch (error) {
  log(`could not write ${jsonPath}: ${error.message}`);
}
process.exit(0);
