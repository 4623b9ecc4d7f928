import { Redis } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

/*
 * The reply types come from Redis's reply_schema plus our mapping rules (RESP3 map → Map,
 * RESP2 → flat array, double → number or text, the commands that send a RESP3 set, ...).
 * This checks them against a real server: each reply is bound to a variable annotated with
 * the type `call` claims (the file does not compile if the claim changes) and its run-time
 * shape is checked here, on both protocols.
 */

const server = useRedisServer();

async function seed(redis: Redis<'utf8', 2 | 3>): Promise<void> {
  await redis.call('flushall');
  await redis.call('hset', 'h', 'f1', 'v1', 'f2', 'v2');
  await redis.call('zadd', 'z', '1.5', 'm1', '2', 'm2');
  await redis.call('sadd', 's', 'a', 'b');
  await redis.call('xadd', 'x', '1-1', 'field', 'value');
}

it('RESP2: maps are flat arrays, sets arrays, doubles text, pairs flat, XREAD an array of [key, entries]', async () => {
  await using redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion: 2 });
  await seed(redis);
  const ok: 'OK' = await redis.call('mset', 'k', '1');
  expect(ok).toBe('OK');
  const value: string | null = await redis.call('get', 'k');
  expect(value).toBe('1');
  const missing: string | null = await redis.call('get', 'nope');
  expect(missing).toBeNull();
  const count: number = await redis.call('exists', 'k', 'h', 'nope');
  expect(count).toBe(2);
  const incr: number | bigint = await redis.call('incr', 'k');
  expect(incr).toBe(2);
  const hash: string[] = await redis.call('hgetall', 'h');
  expect(hash).toEqual(['f1', 'v1', 'f2', 'v2']);
  const score: string | null = await redis.call('zscore', 'z', 'm1');
  expect(score).toBe('1.5');
  const members: string[] = await redis.call('smembers', 's');
  expect(Array.isArray(members)).toBe(true);
  expect([...members].sort()).toEqual(['a', 'b']);
  const withScores: string[] = await redis.call('zrange', 'z', 0, -1, 'WITHSCORES');
  expect(withScores).toEqual(['m1', '1.5', 'm2', '2']);
  const config: string[] = await redis.call('config', 'get', 'maxmemory-policy');
  expect(config).toEqual(['maxmemory-policy', 'noeviction']);
  const streams = await redis.call('xread', 'STREAMS', 'x', '0');
  const pairs: [string, [string, string[]][]][] | null = streams;
  expect(pairs).toEqual([['x', [['1-1', ['field', 'value']]]]]);
});

it('RESP3: maps are Maps, SMEMBERS a Set, doubles numbers, pairs nested, XREAD a Map', async () => {
  await using redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion: 3 });
  await seed(redis);
  const incr: number | bigint = await redis.call('incr', 'k');
  expect(incr).toBe(1);
  const count: number = await redis.call('exists', 'k', 'h', 'nope');
  expect(count).toBe(2);
  const hash: Map<string, string> = await redis.call('hgetall', 'h');
  expect(hash).toEqual(new Map([['f1', 'v1'], ['f2', 'v2']]));
  const score: number | null = await redis.call('zscore', 'z', 'm1');
  expect(score).toBe(1.5);
  const members: Set<string> = await redis.call('smembers', 's');
  expect(members).toEqual(new Set(['a', 'b']));
  // ZRANGE's schema says uniqueItems, yet the server sends an array: not typed as a Set.
  const plain: string[] | [string, number][] = await redis.call('zrange', 'z', 0, -1);
  expect(plain).toEqual(['m1', 'm2']);
  const withScores: string[] | [string, number][] = await redis.call('zrange', 'z', 0, -1, 'WITHSCORES');
  expect(withScores).toEqual([['m1', 1.5], ['m2', 2]]);
  const config: Map<string, string> = await redis.call('config', 'get', 'maxmemory-policy');
  expect(config).toEqual(new Map([['maxmemory-policy', 'noeviction']]));
  const streams: Map<string, [string, string[]][]> | null = await redis.call('xread', 'STREAMS', 'x', '0');
  expect(streams).toEqual(new Map([['x', [['1-1', ['field', 'value']]]]]));
});

it('decoder null: Buffers, with RESP3 Map keys as Buffers too; a per-call decoder gives strings', async () => {
  await using redis = new Redis({ address: [server.host, server.port], respVersion: 3 });
  await redis.call('hset', 'hb', 'f', 'v');
  const hash: Map<Buffer, Buffer> = await redis.call('hgetall', 'hb');
  expect([...hash.entries()]).toEqual([[Buffer.from('f'), Buffer.from('v')]]);
  const raw: Buffer | null = await redis.call('hget', 'hb', 'f');
  expect(Buffer.isBuffer(raw)).toBe(true);
  const text: string | null = await redis.call('hget', 'hb', 'f', { decoder: 'utf8' });
  expect(text).toBe('v');
  const ok: Buffer = await redis.call('mset', 'a', '1');
  expect(ok).toEqual(Buffer.from('OK'));
});

it('a pipeline resolves to the tuple its type names', async () => {
  await using redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion: 3 });
  await redis.call('del', 'p', 'ph');
  const [set, get, incr, hash]: ['OK' | string | null, string | null, number | bigint, Map<string, string>] = await redis.pipeline([
    ['set', 'p', '41'],
    ['get', 'p'],
    ['incr', 'p'],
    ['hgetall', 'ph'],
  ]);
  expect([set, get, incr, hash]).toEqual(['OK', '41', 42, new Map()]);
});
