#!/usr/bin/env node
// Cluster failover recovery, side by side: this client, ioredis and node-redis on one
// 3-master/3-replica cluster (cluster-node-timeout 1500 ms). Each run SIGKILLs a master while
// every client writes (INCR of a fresh key per call, a few at a time) to keys that master
// owned, and measures per client the time from the kill to its next successful write, next
// to the time the cluster itself took to promote a replica. Afterwards every key is read
// back: an acknowledged write that is missing was lost (by Redis if the dead master
// acknowledged it before dying, else by the client), a value of 2 is a call sent twice.
// The killed node is restarted (it rejoins as a replica) before the next run.
//
//   npm run bench:failover                 # build, then 5 runs (~1-2 min)
//   node bench/failover.mjs --runs=3 --concurrency=4
//
// Progress goes to stderr, the markdown table to stdout.
import { performance } from 'node:perf_hooks';
import { markdownTable, median } from './lib/stats.js';

const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const args = Object.fromEntries(process.argv.slice(2).map((a) => /^--([a-z-]+)=(.*)$/.exec(a)?.slice(1) ?? [a, 'true']));
const RUNS = Number(args.runs ?? 5);
const CONCURRENCY = Number(args.concurrency ?? 4);
/** Bound for one run's recovery (every client), after which the run is recorded as not recovered. */
const RECOVERY_BOUND_MS = 20_000;
/** Writes kept going after the last client recovered. */
const AFTER_MS = 500;
const NODE_TIMEOUT_MS = 1500;

const { startRedisCluster } = await import('../dist/testing/index.js');
const { Redis } = await import('../dist/core/index.js');
const { Cluster: IoCluster } = await import('ioredis');
const { createCluster } = await import('redis');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

/** Each library as an application would use it, with its default settings. */
const CLIENTS = {
  ours: {
    label: 'ours (justredis)',
    async open(addresses) {
      const redis = new Redis({ addresses, decoder: 'utf8' });
      await redis.call('ping');
      return { incr: (key) => redis.call('incr', key), close: () => redis.close() };
    },
  },
  ioredis: {
    label: 'ioredis',
    async open(addresses) {
      const redis = new IoCluster(addresses.map(([host, port]) => ({ host, port })));
      redis.on('error', () => {});
      await new Promise((resolve, reject) => {
        redis.once('ready', resolve);
        redis.once('end', () => reject(new Error('ioredis ended before ready')));
      });
      return { incr: (key) => redis.incr(key), close: () => redis.quit().catch(() => redis.disconnect()) };
    },
  },
  'node-redis': {
    label: 'node-redis',
    async open(addresses) {
      const client = createCluster({ rootNodes: addresses.map(([host, port]) => ({ socket: { host, port } })) });
      client.on('error', () => {});
      await client.connect();
      return { incr: (key) => client.incr(key), close: () => client.close().catch(() => client.destroy()) };
    },
  },
};
const NAMES = Object.keys(CLIENTS);

/** Writers of one client: a fresh key per INCR, `CONCURRENCY` calls in flight. */
function startWriters(name, handle, tag, run) {
  const state = { acked: [], failed: [], errors: new Map(), stop: false, seq: 0 };
  const worker = async () => {
    while (!state.stop) {
      const key = `${tag}:${name}:${run}:${state.seq++}`;
      const start = now();
      try {
        await handle.incr(key);
        state.acked.push({ key, start, end: now() });
      } catch (err) {
        state.failed.push({ key, start, end: now() });
        const message = String(err?.message ?? err).slice(0, 60);
        state.errors.set(message, (state.errors.get(message) ?? 0) + 1);
        // Failing fast must not become a busy loop (every library gets the same pause).
        await sleep(5);
      }
    }
  };
  state.done = Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return state;
}

/** A hash tag whose slot `master` serves. */
async function tagOwnedBy(admin, master) {
  const slots = await admin.call('cluster', 'slots');
  const ranges = slots.filter(([, , [, port]]) => port === master.port).map(([a, b]) => [a, b]);
  for (let i = 0; ; i++) {
    const slot = await admin.call('cluster', 'keyslot', `f${i}`);
    if (ranges.some(([a, b]) => slot >= a && slot <= b)) return `{f${i}}`;
  }
}

async function replicaOf(cluster, master) {
  for (const node of await cluster.replicas()) {
    if ((await node.cli('info', 'replication')).includes(`master_port:${master.port}`)) return node;
  }
  throw new Error(`no replica of :${master.port}`);
}

/** Polls the victim's replica for its role: the promotion is when it answers "master". */
async function watchPromotion(replica, since) {
  // 'pool': this node itself (auto-detection would route ROLE to any master of the cluster).
  const probe = new Redis({ address: replica.address, poolFactory: 'pool', decoder: 'utf8', socketTimeout: 1000 });
  try {
    while (now() - since < RECOVERY_BOUND_MS) {
      const role = await probe.call('role').catch(() => null);
      if (role !== null && role[0] === 'master') return now() - since;
      await sleep(10);
    }
    return NaN;
  } finally {
    await probe.close();
  }
}

async function allSynced(cluster) {
  const replicas = await cluster.replicas();
  if (replicas.length !== 3) return false;
  const infos = await Promise.all(replicas.map((r) => r.cli('info', 'replication')));
  return infos.every((i) => i.includes('master_link_status:up'));
}

/** Every node answers (none LOADING), the cluster agrees, every replica is in sync; bounded. */
async function waitHealthy(cluster) {
  const deadline = now() + 60_000;
  for (;;) {
    try {
      const pings = await Promise.all(cluster.nodes.map((n) => n.cli('ping')));
      if (pings.every((p) => p === 'PONG')) {
        await cluster.waitForAgreement(10_000);
        if (await allSynced(cluster)) return;
      }
    } catch (err) {
      if (now() > deadline) throw err;
    }
    if (now() > deadline) throw new Error('cluster did not become healthy again');
    await sleep(200);
  }
}

async function oneRun(cluster, run) {
  await waitHealthy(cluster);
  const admin = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
  const masters = await cluster.masters();
  const victim = masters[run % masters.length];
  const tag = await tagOwnedBy(admin, victim);
  const replica = await replicaOf(cluster, victim);

  const handles = {};
  for (const name of NAMES) handles[name] = await CLIENTS[name].open(cluster.addresses);
  const writers = Object.fromEntries(NAMES.map((name) => [name, startWriters(name, handles[name], tag, run)]));
  await sleep(500);

  const killAt = now();
  const killed = victim.kill();
  const promotion = watchPromotion(replica, killAt);
  await killed;
  const exitAt = now();

  // Recovered: a write that started after the dead master was gone succeeded (only the new
  // master can have run it).
  const recoveredAt = (name) => {
    let first = Infinity;
    for (const a of writers[name].acked) if (a.start > exitAt && a.end < first) first = a.end;
    return first;
  };
  const deadline = killAt + RECOVERY_BOUND_MS;
  while (now() < deadline && NAMES.some((name) => recoveredAt(name) === Infinity)) await sleep(20);
  await sleep(AFTER_MS);
  for (const name of NAMES) writers[name].stop = true;
  // A client stuck in a call must not hang the benchmark.
  await Promise.race([Promise.all(NAMES.map((name) => writers[name].done)), sleep(RECOVERY_BOUND_MS)]);
  const promotionMs = await promotion;

  // Read everything back from the new master (through our client after a fresh map).
  await cluster.waitForAgreement(20_000);
  const reader = new Redis({ addresses: cluster.addresses.filter(([, p]) => p !== victim.port), decoder: 'utf8' });
  const result = { run, victim: victim.port, promotionMs, clients: {} };
  for (const name of NAMES) {
    const w = writers[name];
    const keys = [...w.acked.map((a) => a.key), ...w.failed.map((f) => f.key)];
    const values = [];
    for (let i = 0; i < keys.length; i += 500) values.push(...(await reader.call('mget', ...keys.slice(i, i + 500))));
    let lostByRedis = 0;
    let lostOther = 0;
    let resent = 0;
    w.acked.forEach((a, i) => {
      if (values[i] === null) {
        // Acknowledged before the dead master was gone: it ran there and was never replicated.
        if (a.end <= exitAt) lostByRedis++;
        else lostOther++;
      } else if (values[i] !== '1') resent++;
    });
    w.failed.forEach((_, i) => {
      if (values[w.acked.length + i] !== null && values[w.acked.length + i] !== '1') resent++;
    });
    const recovered = recoveredAt(name);
    result.clients[name] = {
      recoveryMs: recovered === Infinity ? NaN : recovered - killAt,
      acked: w.acked.length,
      failed: w.failed.length,
      lostByRedis,
      lostOther,
      resent,
      errors: [...w.errors].slice(0, 3),
    };
  }
  await reader.close();
  await admin.close();
  await Promise.all(NAMES.map((name) => Promise.race([handles[name].close(), sleep(2000)])));

  // Healthy again for the next run: the killed node rejoins as a replica and syncs.
  await victim.restart();
  await waitHealthy(cluster);
  return result;
}

const fmt = (ms) => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

async function main() {
  log(`failover bench: ${RUNS} runs, concurrency ${CONCURRENCY} per client, cluster-node-timeout ${NODE_TIMEOUT_MS} ms`);
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
  const results = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const r = await oneRun(cluster, run);
      results.push(r);
      log(
        `run ${run + 1}: killed :${r.victim}, promotion ${fmt(r.promotionMs)}; ` +
          NAMES.map((n) => `${n} ${fmt(r.clients[n].recoveryMs)} (acked ${r.clients[n].acked}, failed ${r.clients[n].failed}, lost by Redis ${r.clients[n].lostByRedis}, lost ${r.clients[n].lostOther}, re-sent ${r.clients[n].resent})`).join('; '),
      );
      for (const n of NAMES) if (r.clients[n].errors.length > 0) log(`   ${n} errors: ${r.clients[n].errors.map(([m, c]) => `${c}× ${m}`).join(' | ')}`);
    }
  } finally {
    await cluster.stop();
  }

  const promotions = results.map((r) => r.promotionMs).filter((v) => !Number.isNaN(v));
  const rows = NAMES.map((name) => {
    const rec = results.map((r) => r.clients[name].recoveryMs).filter((v) => !Number.isNaN(v));
    const after = results.map((r) => r.clients[name].recoveryMs - r.promotionMs).filter((v) => !Number.isNaN(v));
    const sum = (f) => results.reduce((s, r) => s + r.clients[name][f], 0);
    return [
      CLIENTS[name].label,
      rec.length ? fmt(median(rec)) : 'n/a',
      rec.length ? `${fmt(Math.min(...rec))}–${fmt(Math.max(...rec))}` : 'n/a',
      after.length ? `${Math.round(median(after))} ms` : 'n/a',
      `${rec.length}/${results.length}`,
      String(sum('failed')),
      String(sum('lostByRedis')),
      String(sum('lostOther')),
      String(sum('resent')),
    ];
  });
  rows.push(['(server) promotion', promotions.length ? fmt(median(promotions)) : 'n/a', promotions.length ? `${fmt(Math.min(...promotions))}–${fmt(Math.max(...promotions))}` : 'n/a', '', '', '', '', '', '']);
  const header = ['client', 'median', 'range', 'median after promotion', 'recovered', 'failed calls', 'acked lost by Redis', 'acked lost otherwise', 're-sent'];
  process.stdout.write(`\nFailover recovery: time from SIGKILL of a master to the client's next successful write to its slots (${results.length} runs, cluster-node-timeout ${NODE_TIMEOUT_MS} ms, ${CONCURRENCY} writers per client)\n\n`);
  process.stdout.write(`${markdownTable(header, rows)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log(err?.stack ?? String(err));
    process.exit(1);
  },
);
