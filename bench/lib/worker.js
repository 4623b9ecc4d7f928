// One client library on one workload, in its own process (so libraries never share a heap, a
// JIT or a GC). Driven by run.js over IPC:
//   { cmd: 'setup', client, workload, target, resp }  -> { ok: true } | { ok: false, error }
//   { cmd: 'run', ms }                                -> { ok: true, ops, seconds } | { ok: false, error }
//   { cmd: 'close' }                                  -> closes the client and exits
//
// Standalone (used by profile.js, or by hand with --cpu-prof):
//   node --cpu-prof bench/lib/worker.js --client=justredis --workload=get-100 --seconds=10 \
//        --host=127.0.0.1 --port=6379            (or --cluster=127.0.0.1:7000,127.0.0.1:7001,...)
import { openClient } from './clients.js';
import { WORKLOADS } from './workloads.js';

let handle;
let workload;

async function setup({ client, workload: name, target, resp }) {
  workload = WORKLOADS[name];
  if (!workload) throw new Error(`unknown workload ${name}`);
  handle = await openClient(client, target, { buffers: !!workload.buffers, resp });
  await handle.ping();
  await workload.setup(handle);
}

async function runRound(ms) {
  const t0 = performance.now();
  const ops = await workload.round(handle, ms);
  const seconds = (performance.now() - t0) / 1000;
  return { ops, seconds };
}

async function close() {
  if (handle) {
    const h = handle;
    handle = undefined;
    await Promise.race([h.close(), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}

function errorText(error) {
  return (error && (error.stack || error.message)) || String(error);
}

if (process.send) {
  // IPC mode. One command at a time; the parent waits for each answer.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg) => {
    try {
      if (msg.cmd === 'setup') {
        await setup(msg);
        process.send({ ok: true });
      } else if (msg.cmd === 'run') {
        process.send({ ok: true, ...(await runRound(msg.ms)) });
      } else if (msg.cmd === 'close') {
        await close();
        process.exit(0);
      }
    } catch (error) {
      process.send({ ok: false, error: errorText(error) });
    }
  });
} else {
  // Standalone mode.
  const args = Object.fromEntries(
    process.argv.slice(2).map((a) => {
      const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
      if (!m) throw new Error(`bad argument ${a}`);
      return [m[1], m[2] ?? 'true'];
    }),
  );
  const target = args.cluster
    ? {
        kind: 'cluster',
        addresses: args.cluster.split(',').map((hp) => {
          const i = hp.lastIndexOf(':');
          return [hp.slice(0, i), Number(hp.slice(i + 1))];
        }),
      }
    : { kind: 'standalone', host: args.host ?? '127.0.0.1', port: Number(args.port ?? 6379) };
  const seconds = Number(args.seconds ?? 10);
  const warmup = Number(args.warmup ?? 1);
  await setup({ client: args.client ?? 'justredis', workload: args.workload ?? 'get-100', target, resp: args.resp ? Number(args.resp) : undefined });
  if (warmup > 0) await runRound(warmup * 1000);
  const { ops, seconds: elapsed } = await runRound(seconds * 1000);
  console.log(JSON.stringify({ client: args.client ?? 'justredis', workload: args.workload ?? 'get-100', ops, seconds: elapsed, opsPerSec: Math.round(ops / elapsed) }));
  await close();
  process.exit(0);
}
