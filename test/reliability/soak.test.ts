/**
 * Soak: a million calls with no heap growth and no leaked sockets, timers or listeners, in
 * a child `node --expose-gc` running lib/core compiled to JavaScript (soak-child.mjs), where
 * full GCs make heap figures honest and nothing of Jest's sits in the heap. And `close()`
 * with thousands of calls in flight, on a healthy and on a silent server, settles every one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { startRedisServer, startFaultProxy, type RedisServer } from '../../lib/testing/index.js';
import { Redis, CommunicationError, RedisError } from '../../lib/core/index.js';
import { report, within } from './support.js';

const ROOT = process.cwd();
const CALLS = 1_000_000;
const MB = 1024 * 1024;

/** lib/core transpiled file by file (no type check: `npm run typecheck` does that) into a temp dir. */
function transpileCore(): string {
  const out = mkdtempSync(join(tmpdir(), 'justredis-soak-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  const src = join(ROOT, 'lib', 'core');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
          compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, experimentalDecorators: true },
          fileName: path,
        });
        const target = join(out, 'core', relative(src, path)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, outputText);
      }
    }
  };
  walk(src);
  return out;
}

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(ROOT, 'test', 'reliability', 'soak-child.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: RedisServer;
let compiled: string;

beforeAll(async () => {
  server = await startRedisServer();
  compiled = transpileCore();
});

afterAll(async () => {
  await server?.stop();
  if (compiled) rmSync(compiled, { recursive: true, force: true });
});

it('a million calls through call, pipeline and connection: no heap growth, no leaked sockets, timers or listeners', async () => {
  const { code, stdout, stderr } = await runChild([join(compiled, 'core', 'index.js'), server.host, String(server.port), String(CALLS)]);
  if (code !== 0) throw new Error(`soak child exited with ${code}: ${stderr}`);
  const result = JSON.parse(stdout.trim().split('\n').pop()!);
  const growth = result.heap[result.heap.length - 1] - result.heap0;
  const firstHalf = Math.max(...result.heap.slice(0, 5));
  const secondHalf = Math.max(...result.heap.slice(5));
  report('soak', {
    calls: result.calls,
    seconds: result.seconds,
    heap0MB: +(result.heap0 / MB).toFixed(2),
    heapGrowthKB: Math.round(growth / 1024),
    heapPerRoundMB: result.heap.map((h: number) => +(h / MB).toFixed(2)),
    steadyResources: result.steady.resources,
    afterClose: result.after.resources,
    inFlightAtClose: result.inFlight,
    settledOk: result.settledOk,
    settledErr: result.settledErr,
  });
  expect(result.problems).toEqual([]);
  expect(result.wrong).toBe(0);
  expect(result.calls).toBe(CALLS);
  // No growth: after the warm-up, ten rounds of 100k calls leave the heap where it was
  // (a leak of even 4 bytes per call would show as 4 MB) and show no upward trend.
  expect(growth).toBeLessThan(2 * MB);
  expect(secondHalf - firstHalf).toBeLessThan(1 * MB);
  // Sockets and timers: the same after every round as after the warm-up; after close(), as before the client existed.
  for (const resources of result.roundResources) expect(resources).toEqual(result.steady.resources);
  expect(result.after.resources).toEqual(result.baseline.resources);
  expect(result.after.listeners).toEqual(result.baseline.listeners);
  expect(result.clientListenersAfter).toEqual(result.steady.clientListeners);
  // close() with thousands of calls in flight settled every one of them.
  expect(result.settledOk + result.settledErr).toBe(result.inFlight);
}, 180_000);

describe('close() with thousands of calls in flight', () => {
  it('on a healthy server: every call settles, with its own reply or a RedisError', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    await r.call('ping');
    const calls = Array.from({ length: 5000 }, (_, i) => r.call('echo', `t${i}`));
    const pipelines = Array.from({ length: 20 }, (_, p) => r.pipeline(Array.from({ length: 100 }, (_, j) => ['echo', `p${p}-${j}`])));
    const exclusive = await r.connection();
    const onExclusive = Array.from({ length: 500 }, (_, i) => exclusive.call('echo', `x${i}`));
    const closing = r.close();
    const later = r.call('echo', 'after close').catch((e: unknown) => e);
    const outcomes = await within(Promise.allSettled([...calls, ...pipelines, ...onExclusive]), 20_000, 'calls in flight at close()');
    await within(closing, 20_000, 'close()');
    let ok = 0;
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') {
        expect(o.reason).toBeInstanceOf(RedisError);
        return;
      }
      ok++;
      if (i < 5000) expect(o.value).toBe(`t${i}`);
    });
    expect(await later).toBeInstanceOf(RedisError);
    report('close-healthy', { inFlight: outcomes.length, ok, failed: outcomes.length - ok });
  });

  it('on a silent server: every call settles once the grace period ends, with a CommunicationError', async () => {
    const proxy = await startFaultProxy({ target: [server.host, server.port] });
    const r = new Redis({ address: proxy.address, decoder: 'utf8' });
    try {
      await r.call('ping');
      proxy.blackhole(true);
      const calls = Array.from({ length: 3000 }, (_, i) => r.call('echo', `s${i}`));
      await new Promise((resolve) => setImmediate(resolve)); // written, so they wait for replies
      const started = Date.now();
      const outcomes = await within(Promise.allSettled([r.close(), ...calls]), 20_000, 'close() on a silent server');
      const took = Date.now() - started;
      expect(outcomes[0].status).toBe('fulfilled');
      for (const o of outcomes.slice(1)) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(CommunicationError);
      }
      report('close-silent', { inFlight: calls.length, settledAfterMs: took });
    } finally {
      await proxy.close();
    }
  });
});
