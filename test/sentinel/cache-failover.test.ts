import { startRedisSentinel, type RedisSentinelSetup } from '../../lib/testing/index.js';
import { Redis } from '../../lib/core/index.js';
import { eventually, readCached } from '../helpers.js';

/**
 * Client-side caching across a Sentinel failover. The client retires the old master's pool
 * (a close of its own, no 'disconnect'), so no invalidation can reach it from there any
 * more, and the new master never saw its reads: the cache must be emptied, and a GET after
 * the switch must read a write another client made on the new master.
 */
describe.each([2, 3] as const)('client-side cache across SENTINEL FAILOVER, RESP%i', (respVersion) => {
  let setup: RedisSentinelSetup;
  beforeAll(async () => {
    setup = await startRedisSentinel();
  }, 40_000);
  afterAll(async () => {
    await setup?.stop();
  });

  it('answers a GET cached before the failover from the new master, with the write made there', async () => {
    await using redis = new Redis({
      poolFactory: 'sentinel',
      addresses: setup.addresses,
      sentinelMaster: setup.masterName,
      decoder: 'utf8',
      respVersion,
      clientSideCache: true,
    });
    expect(await redis.call('set', 'cached', 'before-failover')).toBe('OK');
    expect(await readCached(redis, 'cached')).toBe('before-failover');
    expect(await redis.call('wait', 1, 2000)).toBe(1);

    expect(await setup.sentinels[0].cli('SENTINEL', 'FAILOVER', setup.masterName)).toBe('OK');
    // The client follows (+switch-master): its master is the old replica.
    await eventually(async () => ((await redis.endpoints())[0].address as [string, number])[1] === setup.replica.port, 15_000, 50);
    // Another client writes on the new master, once it accepts writes.
    await eventually(async () => (await setup.replica.cli('SET', 'cached', 'after-failover')) === 'OK', 10_000, 50);

    expect(await redis.call('get', 'cached')).toBe('after-failover');
  }, 30_000);
});
