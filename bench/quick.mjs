// A first throughput figure: 100 concurrent GETs against a local server, this client only.
// The full side-by-side benchmark is `npm run bench`.
import { Redis } from '../dist/core/index.js';
import { startRedisServer } from '../dist/testing/index.js';

const server = await startRedisServer();
const redis = new Redis({ address: [server.host, server.port] });
await redis.call('set', 'k', 'v'.repeat(100));
const ROUNDS = 2000;
for (let w = 0; w < 200; w++) await Promise.all(Array.from({ length: 100 }, () => redis.call('get', 'k')));
const start = process.hrtime.bigint();
for (let r = 0; r < ROUNDS; r++) {
  const batch = new Array(100);
  for (let i = 0; i < 100; i++) batch[i] = redis.call('get', 'k');
  await Promise.all(batch);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`100 concurrent GETs: ${Math.round((ROUNDS * 100) / seconds).toLocaleString('en')} ops/s`);
await redis.close();
await server.stop();
