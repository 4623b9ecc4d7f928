import { Redis } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

const server = useRedisServer({ password: 'topology-secret' });

describe('redis.topology', () => {
  it("is undefined with poolFactory 'auto' until the first connect, then 'standalone' (views too)", async () => {
    await using redis = new Redis({ address: server.address, password: 'topology-secret' });
    const view = redis.modify({ database: 1 });
    expect(redis.topology).toBeUndefined();
    expect(await redis.call('ping', { decoder: 'utf8' })).toBe('PONG');
    expect(redis.topology).toBe('standalone');
    expect(view.topology).toBe('standalone');
  });

  it('is known at once when poolFactory names it, before anything connects', async () => {
    await using pool = new Redis({ address: server.address, poolFactory: 'pool' });
    await using cluster = new Redis({ address: server.address, poolFactory: 'cluster' });
    await using sentinel = new Redis({ addresses: [['127.0.0.1', 26379]], poolFactory: 'sentinel', sentinelMaster: 'mymaster' });
    expect([pool.topology, cluster.topology, sentinel.topology]).toEqual(['standalone', 'cluster', 'sentinel']);
    // Nothing was connected to learn it.
    expect(pool.stats().map((g) => g.shared + g.exclusiveIdle + g.exclusiveInUse)).toEqual([0]);
    expect(cluster.stats()).toEqual([]);
  });

  it('is read-only', async () => {
    await using redis = new Redis({ address: server.address, poolFactory: 'pool' });
    expect(() => ((redis as { topology: unknown }).topology = 'cluster')).toThrow(TypeError);
    expect(redis.topology).toBe('standalone');
  });
});

describe('redis.seeds', () => {
  it('lists the configured addresses as host:port, [v6]:port or socket paths', async () => {
    await using one = new Redis({ address: server.address, poolFactory: 'pool' });
    expect(one.seeds).toEqual([`${server.host}:${server.port}`]);
    await using many = new Redis({ address: ['::1', 7000], addresses: [['10.0.0.2', 7001], '/tmp/redis.sock'], poolFactory: 'pool' });
    expect(many.seeds).toEqual(['[::1]:7000', '10.0.0.2:7001', '/tmp/redis.sock']);
    expect(Object.isFrozen(many.seeds)).toBe(true);
  });

  it('holds no credentials, from options or a URL', async () => {
    await using fromUrl = Redis.fromUrl(`redis://alice:topology-secret@${server.host}:${server.port}/2`);
    await using fromOptions = new Redis({ address: server.address, username: 'default', password: 'topology-secret' });
    expect(fromUrl.seeds).toEqual([`${server.host}:${server.port}`]);
    expect(JSON.stringify([fromUrl.seeds, fromOptions.seeds])).not.toContain('topology-secret');
    expect(JSON.stringify([fromUrl.seeds, fromOptions.seeds])).not.toContain('alice');
  });
});
