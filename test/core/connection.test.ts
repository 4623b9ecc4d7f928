import { eventually } from '../helpers.js';
import { Redis, ReplyError, ConnectionPoolError, CommunicationError, RedisError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

let redis: Redis;

const server = useRedisServer();
beforeEach(async () => {
  redis = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
  await redis.call('flushall');
});
afterEach(async () => {
  await redis.close();
});

/** The server's view of our connections, by client name or all. */
async function clientCount(): Promise<number> {
  const list = await server.cli('client', 'list');
  return list.split('\n').filter((l) => l.includes('cmd=') && !l.includes('cmd=client')).length;
}

describe('transactions on an exclusive connection', () => {
  it('runs MULTI/EXEC', async () => {
    const c = await redis.connection({ key: 'a' });
    expect(await c.call('multi')).toBe('OK');
    expect(await c.call('set', 'a', 'b')).toBe('QUEUED');
    expect(await c.call('get', 'a')).toBe('QUEUED');
    expect(await c.call('exec')).toEqual(['OK', 'b']);
    await c.release();
  });

  it('runs MULTI/EXEC as a pipeline', async () => {
    await using c = await redis.connection({ key: 'a' });
    const results = await c.pipeline([['multi'], ['set', 'a', 'b'], ['get', 'a'], ['exec']]);
    expect(results[3]).toEqual(['OK', 'b']);
  });

  it('nests connections on other databases', async () => {
    const c0 = await redis.connection();
    const c1 = await redis.connection({ database: 1 });
    await c0.call('multi');
    await c1.call('multi');
    await c0.call('set', 'a', 'zero');
    await c1.call('set', 'a', 'one');
    expect(await c1.call('exec')).toEqual(['OK']);
    expect(await c0.call('exec')).toEqual(['OK']);
    expect(await redis.call('get', 'a')).toBe('zero');
    expect(await redis.call('get', 'a', { database: 1 })).toBe('one');
    await c0.release();
    await c1.release();
  });

  it('discards after an error inside MULTI', async () => {
    await using c = await redis.connection();
    await c.call('multi');
    await expect(c.call('nosuchcommand')).rejects.toThrow(ReplyError);
    await expect(c.call('exec')).rejects.toThrow(/EXECABORT/);
    await c.call('multi');
    await c.call('set', 'a', '1');
    expect(await c.call('discard')).toBe('OK');
    expect(await redis.call('exists', 'a')).toBe(0);
  });

  it('the WATCH increment loop works', async () => {
    await redis.call('set', 'counter', '5');
    let value = 0;
    for (;;) {
      await using c = await redis.connection({ key: 'counter' });
      await c.call('watch', 'counter');
      value = Number((await c.call('get', 'counter')) ?? 0);
      await c.call('multi');
      await c.call('set', 'counter', value + 1);
      if ((await c.call('exec')) === null) continue;
      value += 1;
      break;
    }
    expect(value).toBe(6);
    expect(await redis.call('get', 'counter')).toBe('6');
  });

  it('release discards an open MULTI, clears WATCH and restores the database', async () => {
    const limited = new Redis({ address: [server.host, server.port], decoder: 'utf8', maxConnections: 1 });
    const c = await limited.connection();
    await c.call('watch', 'w');
    await c.call('select', 3);
    await c.call('multi');
    await c.call('set', 'leak', '1');
    await c.release();
    // The same socket comes back (maxConnections 1): no MULTI, no WATCH, database 0.
    const again = await limited.connection();
    await redis.call('set', 'w', 'changed');
    expect(await again.call('set', 'fresh', '1')).toBe('OK');
    await again.call('multi');
    await again.call('get', 'w');
    expect(await again.call('exec')).toEqual(['changed']);
    expect(await limited.call('exists', 'fresh')).toBe(1);
    expect(await redis.call('exists', 'leak', { database: 3 })).toBe(0);
    await again.release();
    await limited.close();
  });

  it('a released connection refuses further calls', async () => {
    const c = await redis.connection();
    await c.release();
    await expect(c.call('ping')).rejects.toThrow(RedisError);
    await c.release();
  });

  it('refuses push commands on a normal connection', async () => {
    await using c = await redis.connection();
    await expect(c.call('subscribe', 'x')).rejects.toThrow(TypeError);
  });
});

describe('the pool', () => {
  it('is bounded by maxConnections and times out with ConnectionPoolError', async () => {
    const r = new Redis({ address: [server.host, server.port], maxConnections: 2, waitTimeout: 50 });
    const a = await r.connection();
    const b = await r.connection();
    await expect(r.connection()).rejects.toThrow(ConnectionPoolError);
    const waiting = r.connection();
    await a.release();
    const c = await waiting;
    expect(await c.call('ping')).toEqual(Buffer.from('PONG'));
    await b.release();
    await c.release();
    await r.close();
  });

  it('closing a limited pool with connections out does not crash', async () => {
    const r = new Redis({ address: [server.host, server.port], maxConnections: 1 });
    const a = await r.connection();
    const waiting = expect(r.connection()).rejects.toThrow(ConnectionPoolError);
    await r.close();
    await waiting;
    await expect(a.call('ping')).rejects.toThrow(RedisError);
  });

  it('multiplexes call() over one connection per database', async () => {
    const r = new Redis({ address: [server.host, server.port], clientName: 'mux-test' });
    await Promise.all(Array.from({ length: 200 }, (_, i) => r.call('set', `k${i}`, i)));
    await Promise.all(Array.from({ length: 50 }, (_, i) => r.call('get', `k${i}`, { database: 1 })));
    const list = await server.cli('client', 'list');
    expect(list.split('\n').filter((l) => l.includes('name=mux-test'))).toHaveLength(2);
    await r.close();
  });

  it('runs blocking commands without stalling other callers', async () => {
    const blpop = redis.call('blpop', 'q', 0);
    expect(await redis.call('ping')).toBe('PONG');
    await redis.call('rpush', 'q', 'item');
    expect(await blpop).toEqual(['q', 'item']);
    const xread = redis.call('xread', 'BLOCK', 0, 'STREAMS', 's', '$');
    expect(await redis.call('echo', 'not stalled')).toBe('not stalled');
    await redis.call('xadd', 's', '*', 'f', 'v');
    const streams = (await xread) as [string, [string, string[]][]][];
    expect(streams[0][0]).toBe('s');
  });

  it('cancels a blocked BLPOP with socketTimeout without leaving a stale reply', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8', socketTimeout: 200, maxConnections: 1 });
    const err = await r.call('blpop', 'never', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommunicationError);
    expect((err as CommunicationError).code).toBe('ERR_SOCKET_TIMEOUT');
    // The item pushed now must not be swallowed by the cancelled BLPOP's connection.
    await r.call('rpush', 'never', 'late');
    expect(await r.call('lpop', 'never')).toBe('late');
    const c = await r.connection();
    expect(await c.call('echo', 'fresh')).toBe('fresh');
    await c.release();
    await r.close();
  });

  it('a blocking command with a timeout longer than socketTimeout still completes', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8', socketTimeout: 100 });
    const pop = r.call('blpop', 'slow', 1);
    await expect(pop).resolves.toBeNull();
    await r.close();
  });

  it('leaves no connection behind after close', async () => {
    const before = await clientCount();
    const r = new Redis({ address: [server.host, server.port] });
    await r.call('ping');
    await r.call('ping', { database: 4 });
    const c = await r.connection();
    const p = await r.connection({ push: true });
    await p.call('subscribe', 'x');
    await c.release();
    await r.close();
    await eventually(async () => expect(await clientCount()).toBe(before));
  });
});
