import { Redis, ConnectionPoolError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

const server = useRedisServer();

describe('redis.stats()', () => {
  it('reports shared connections, exclusive ones in use and idle, and waiters, per server', async () => {
    await using redis = new Redis({ address: [server.host, server.port], maxConnections: 1, waitTimeout: 5000, poolFactory: 'pool' });
    const address = `${server.host}:${server.port}`;
    expect(redis.stats()).toEqual([{ address, shared: 0, exclusiveInUse: 0, exclusiveIdle: 0, waiters: 0 }]);

    await redis.call('ping');
    await redis.modify({ database: 1 }).call('ping');
    expect(redis.stats()).toEqual([{ address, shared: 2, exclusiveInUse: 0, exclusiveIdle: 0, waiters: 0 }]);

    const lease = await redis.connection();
    expect(redis.stats()[0]).toMatchObject({ exclusiveInUse: 1, exclusiveIdle: 0, waiters: 0 });

    // maxConnections 1: the next borrower waits.
    const waiting = redis.connection();
    expect(redis.stats()[0]).toMatchObject({ exclusiveInUse: 1, waiters: 1 });
    lease.release();
    const second = await waiting;
    expect(redis.stats()[0]).toMatchObject({ exclusiveInUse: 1, exclusiveIdle: 0, waiters: 0 });
    second.release();
    expect(redis.stats()[0]).toMatchObject({ shared: 2, exclusiveInUse: 0, exclusiveIdle: 1, waiters: 0 });
  });

  it('does not count a waiter that gave up', async () => {
    await using redis = new Redis({ address: [server.host, server.port], maxConnections: 1, waitTimeout: 50, poolFactory: 'pool' });
    const lease = await redis.connection();
    await expect(redis.connection()).rejects.toThrow(ConnectionPoolError);
    expect(redis.stats()[0]).toMatchObject({ exclusiveInUse: 1, waiters: 0 });
    lease.release();
  });

  it('is empty before the client knows its servers and after close()', async () => {
    const redis = new Redis({ address: [server.host, server.port] }); // 'auto': the router comes with the first call
    expect(redis.stats()).toEqual([]);
    await redis.call('ping');
    expect(redis.stats()).toHaveLength(1);
    await redis.close();
    expect(redis.stats()).toEqual([]);
  });
});
