// Cost of read-your-writes in the client-side cache: writes with the cache on drop every key
// they may change (looked up in the server's command table) before their reply resolves.
// 100 concurrent SETs, MSETs of 4 keys and EVALs (1 key), and 100 concurrent cached GETs,
// with the cache off and on. `node bench/cache-writes.mjs [distDir]` after `npm run build`.
// Besides ops/s, the client's CPU time per call (user + system of this process): steadier
// than ops/s on a shared machine, where other work stretches the wall clock.
const dist = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
const { Redis } = await import(`${dist}/core/index.js`);
const { startRedisServer } = await import(`${dist}/testing/index.js`);

const server = await startRedisServer();
const ROUNDS = 1000;
const WORKLOADS = {
  'SET': (r, i) => r.call('set', `k${i}`, 'v'),
  'MSET 4 keys': (r, i) => r.call('mset', `a${i}`, '1', `b${i}`, '2', `c${i}`, '3', `d${i}`, '4'),
  'EVAL 1 key': (r, i) => r.call('eval', "return redis.call('set', KEYS[1], ARGV[1])", 1, `k${i}`, 'v'),
  'GET (cached)': (r, i) => r.call('get', `k${i % 10}`),
};

async function measure(redis, run) {
  const round = () => Promise.all(Array.from({ length: 100 }, (_, i) => run(redis, i)));
  for (let w = 0; w < 200; w++) await round();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) await round();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { ops: Math.round((ROUNDS * 100) / seconds), cpuNs: Math.round(((used.user + used.system) * 1000) / (ROUNDS * 100)) };
}

for (const [name, run] of Object.entries(WORKLOADS)) {
  const row = [];
  for (const clientSideCache of [false, true]) {
    const redis = new Redis({ address: [server.host, server.port], clientSideCache: clientSideCache || undefined });
    row.push(await measure(redis, run));
    await redis.close();
  }
  const show = ({ ops, cpuNs }) => `${ops.toLocaleString('en').padStart(9)} ops/s ${String(cpuNs).padStart(5)} ns CPU/call`;
  console.log(`${name.padEnd(14)} cache off ${show(row[0])}   cache on ${show(row[1])}`);
}
await server.stop();
