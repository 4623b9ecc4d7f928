import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startRedisSentinel, type RedisSentinelSetup } from '../../lib/testing/index.js';
import { JustRedisModule, MasterChangedError, Redis, RedisPubSub, RedisSubscribe, type RedisMessage } from '../../lib/index.js';
import { CapturingLogger, eventually, within } from '../nest/nest-helpers.js';

/**
 * What connections taken on the old master see after SENTINEL FAILOVER: an error of their
 * own (`ERR_MASTER_CHANGED`, naming both masters), not the `ERR_CLIENT_CLOSED` of close(),
 * so subscribers resubscribe — the Nest module's `@RedisSubscribe` handlers do it by
 * themselves. One setup, one failover for the whole file.
 */
const PASSWORD = 'failover-secret';
let setup: RedisSentinelSetup;

beforeAll(async () => {
  setup = await startRedisSentinel({ password: PASSWORD });
}, 40_000);
afterAll(async () => {
  await setup?.stop();
});

const sentinelOptions = () => ({
  poolFactory: 'sentinel' as const,
  addresses: setup.addresses,
  sentinelMaster: setup.masterName,
  password: PASSWORD,
  decoder: 'utf8' as const,
});

@Injectable()
class NewsListener {
  readonly seen: string[] = [];

  @RedisSubscribe('failover.news')
  onNews(message: RedisMessage): void {
    this.seen.push(message.data);
  }
}

it('ends old-master connections with ERR_MASTER_CHANGED, and @RedisSubscribe handlers and RedisPubSub Observables keep receiving on the new master', async () => {
  const oldMaster = `127.0.0.1:${setup.master.port}`;
  const newMaster = `127.0.0.1:${setup.replica.port}`;

  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot(sentinelOptions())],
    providers: [NewsListener],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await within(app.init(), 15_000, 'app.init()');
  const listener = app.get(NewsListener);
  const observed: string[] = [];
  const observation = app.get(RedisPubSub).observe('failover.observed').subscribe((m) => observed.push(m.data as string));
  await using redis = new Redis(sentinelOptions());
  try {
    await eventually(async () => (await setup.master.cli('PUBSUB', 'NUMSUB', 'failover.news', 'failover.observed')).endsWith('\n1\nfailover.observed\n1'));

    // A subscriber and an exclusive connection of a plain client, on the old master.
    const push = await redis.connection({ push: true });
    expect(push.address).toBe(oldMaster);
    await push.call('subscribe', 'failover.core');
    expect(await push.nextMessage()).toEqual(['subscribe', 'failover.core', 1]);
    const waiting = push.nextMessage();
    const exclusive = await redis.connection();
    expect(exclusive.address).toBe(oldMaster);
    expect(await exclusive.call('ping')).toBe('PONG');

    expect(await setup.sentinels[0].cli('SENTINEL', 'FAILOVER', setup.masterName)).toBe('OK');

    const error = await waiting.then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(MasterChangedError);
    expect(error).toMatchObject({ code: 'ERR_MASTER_CHANGED', masterName: setup.masterName, previous: oldMaster, current: newMaster });
    expect((error as Error).message).toContain(`The master of ${setup.masterName} changed from ${oldMaster} to ${newMaster}`);
    expect((error as Error).message).not.toContain(PASSWORD);
    expect(push.closed).toBe(true);
    await expect(exclusive.call('ping')).rejects.toMatchObject({ code: 'ERR_MASTER_CHANGED' });
    await exclusive.release();
    // Iterating a push connection ends quietly only after close(): a failover is an error.
    await expect(push[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(MasterChangedError);

    // A new push connection goes to the new master.
    await using again = await redis.connection({ push: true });
    expect(again.address).toBe(newMaster);

    // The Nest handler and the Observable are subscribed again, on the new master: messages
    // published there (and only there) reach them.
    await eventually(
      async () => {
        await setup.replica.cli('PUBLISH', 'failover.news', 'after-failover');
        await setup.replica.cli('PUBLISH', 'failover.observed', 'after-failover');
        return listener.seen.includes('after-failover') && observed.includes('after-failover');
      },
      15_000,
      100,
    );
    expect(logger.find('warn', /pub\/sub connection to .* lost \(The master of .* changed from/).length).toBe(1);
    expect(logger.find('log', /pub\/sub connection to .* restored, 2 subscription\(s\) renewed/).length).toBe(1);
    expect(logger.text()).not.toContain(PASSWORD);
  } finally {
    observation.unsubscribe();
    await within(app.close(), 10_000, 'app.close()');
  }
}, 40_000);
