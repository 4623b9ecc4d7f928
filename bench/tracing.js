#!/usr/bin/env node
// The cost of observability: 100 concurrent GETs with nobody listening on the diagnostics
// channels, with a plain diagnostics_channel subscriber, and with the OpenTelemetry
// instrumentation enabled (SDK tracer, batch processor, an exporter that drops the spans).
// `context-only` registers the same SDK and AsyncLocalStorage context manager without the
// instrumentation: what OpenTelemetry's context propagation costs any promise-heavy code.
// `--baseline=<dist dir>` adds a build without the channels at all, for comparison.
//
//   npm run bench:tracing                         # build, then 5 interleaved rounds
//   node bench/tracing.js --rounds=7 --seconds=3
//   node bench/tracing.js --baseline=/tmp/main-dist
//   node bench/tracing.js --modes=baseline,none --rounds=11 --baseline=/tmp/main-dist
//
// Every sample runs in a fresh process (a subscriber, once made, must not linger), and the
// modes take turns round by round so that load from other processes hits them alike.
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = fileURLToPath(import.meta.url);
const argv = Object.fromEntries(process.argv.slice(2).map((a) => /^--([a-z-]+)(?:=(.*))?$/.exec(a)).filter(Boolean).map((m) => [m[1], m[2] ?? true]));
const DIST = path.resolve(path.dirname(here), '../dist');

if (argv.child) await child(argv.child, argv.dist ?? DIST, Number(argv.seconds ?? 2), Number(argv.port));
else await parent();

async function parent() {
  const rounds = Number(argv.rounds ?? 5);
  const seconds = Number(argv.seconds ?? 2);
  const { startRedisServer } = await import(pathToFileURL(path.join(DIST, 'testing/index.js')).href);
  const server = await startRedisServer();
  const modes = [['none', DIST], ['subscriber', DIST], ['context-only', DIST], ['opentelemetry', DIST]];
  if (argv.baseline) modes.unshift(['baseline', path.resolve(argv.baseline)]);
  if (typeof argv.modes === 'string') {
    const wanted = new Set(argv.modes.split(','));
    modes.splice(0, modes.length, ...modes.filter(([m]) => wanted.has(m)));
  }
  const samples = Object.fromEntries(modes.map(([m]) => [m, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [mode, dist] of modes) {
        const sample = await runChild(mode, dist, seconds, server.port);
        samples[mode].push(sample);
        process.stderr.write(`round ${r + 1}/${rounds} ${mode.padEnd(14)} ${Math.round(sample.opsPerSecond).toLocaleString('en')} ops/s, ${sample.cpuMicrosPerCall.toFixed(2)} µs CPU per call\n`);
      }
    }
  } finally {
    await server.stop();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (x) => Math.round(x).toLocaleString('en');
  const ops = (mode) => samples[mode].map((x) => x.opsPerSecond);
  const cpu = (mode) => samples[mode].map((x) => x.cpuMicrosPerCall);
  const refOps = median(ops('none'));
  const refCpu = median(cpu('none'));
  console.log(`\n100 concurrent GETs, ${rounds} interleaved rounds of ${seconds} s, medians (min–max).`);
  console.log('CPU per call is the client process\'s user+system time divided by the calls: less sensitive');
  console.log('than ops/s to other load on the machine.\n');
  console.log('| mode | ops/s | ops/s range | vs none | µs CPU per call | CPU range | vs none |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [mode] of modes) {
    const o = ops(mode);
    const c = cpu(mode);
    const pct = (x, ref) => `${x >= ref ? '+' : ''}${((x / ref - 1) * 100).toFixed(1)} %`;
    console.log(
      `| ${mode} | ${fmt(median(o))} | ${fmt(Math.min(...o))}–${fmt(Math.max(...o))} | ${pct(median(o), refOps)} | ${median(c).toFixed(2)} | ${Math.min(...c).toFixed(2)}–${Math.max(...c).toFixed(2)} | ${pct(median(c), refCpu)} |`,
    );
  }
}

function runChild(mode, dist, seconds, port) {
  return new Promise((resolve, reject) => {
    const p = fork(here, [`--child=${mode}`, `--dist=${dist}`, `--seconds=${seconds}`, `--port=${port}`], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} child exited with ${code}`))));
  });
}

async function child(mode, dist, seconds, port) {
  const { Redis } = await import(pathToFileURL(path.join(dist, 'core/index.js')).href);
  let cleanup = async () => {};
  if (mode === 'subscriber') {
    // What a hand-written subscriber does: look at every phase, keep nothing.
    const dc = await import('node:diagnostics_channel');
    let seen = 0;
    const handlers = { start: () => seen++, end: () => {}, asyncStart: () => {}, asyncEnd: (c) => (seen += c.serverPort === undefined ? 0 : 1), error: () => {} };
    dc.tracingChannel('nestjs-justredis:command').subscribe(handlers);
    cleanup = async () => dc.tracingChannel('nestjs-justredis:command').unsubscribe(handlers);
  } else if (mode === 'opentelemetry' || mode === 'context-only') {
    const { context, trace } = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { JustRedisInstrumentation } = await import(pathToFileURL(path.join(dist, 'opentelemetry/index.js')).href);
    const dropping = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    const instrumentation = new JustRedisInstrumentation({ enabled: mode === 'opentelemetry' });
    // As in any traced app (an HTTP request runs inside context.with): AsyncLocalStorage is in use.
    context.with(context.active(), () => {});
    cleanup = async () => {
      instrumentation.disable();
      await provider.shutdown();
    };
  }
  const redis = new Redis({ address: ['127.0.0.1', port], decoder: 'utf8' });
  await redis.call('set', 'bench:tracing', 'v'.repeat(100));
  const batch = () => {
    const calls = new Array(100);
    for (let i = 0; i < 100; i++) calls[i] = redis.call('get', 'bench:tracing');
    return Promise.all(calls);
  };
  // Warm-up by count, not time: a slower mode must not start measuring less optimised.
  for (let i = 0; i < 500; i++) await batch();
  let ops = 0;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now;
  do {
    const values = await batch();
    if (values[99].length !== 100) throw new Error('wrong reply');
    ops += 100;
  } while ((now = process.hrtime.bigint()) < end);
  const elapsed = Number(now - start) / 1e9;
  const cpuUsed = process.cpuUsage(cpuBefore);
  await redis.close();
  await cleanup();
  process.stdout.write(JSON.stringify({ opsPerSecond: ops / elapsed, cpuMicrosPerCall: (cpuUsed.user + cpuUsed.system) / ops }));
}
