import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { useRedisServerWithAdmin } from '../fixtures.js';
import { getRedisToken, InjectRedis, JustRedisModule, RedisPubSub, RedisSubscribe, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, eventually, namedConnections, numsub, within } from './nest-helpers.js';

const { server, admin } = useRedisServerWithAdmin((s) => adminClient(s.port));

@Injectable()
class Listener {
  readonly seen: string[] = [];
  constructor(@InjectRedis() readonly redis: Redis) {}

  @RedisSubscribe('loss.ch')
  onMessage(message: RedisMessage): void {
    this.seen.push(message.data);
  }
}

async function start(clientName: string, providers: (typeof Listener)[]) {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: server.url, decoder: 'utf8', clientName, maxConnections: 1 })],
    providers,
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await within(app.init(), 15_000, 'app.init()');
  return { app, logger };
}

describe('a lost push connection with maxConnections: 1', () => {
  it('is resubscribed within the backoff, gets later messages, and app.close() leaves nothing behind', async () => {
    const clientName = 'loss-app';
    const { app, logger } = await start(clientName, [Listener]);
    const listener = app.get(Listener);
    expect(await numsub(admin, 'loss.ch')).toBe(1);

    for (const round of [1, 2]) {
      const restored = logger.entries.filter((e) => /restored/.test(e.message)).length;
      await admin.call('client', 'kill', 'type', 'pubsub');
      // The lane says so once it has its connection back and has sent every subscription again.
      await within(
        eventually(() => logger.entries.filter((e) => /pub\/sub connection to .* restored, 1 subscription\(s\) renewed/.test(e.message)).length > restored, 10_000),
        10_000,
        `recovery ${round}`,
      );
      await eventually(async () => (await numsub(admin, 'loss.ch')) === 1);
      await admin.call('publish', 'loss.ch', `after-${round}`);
      await eventually(() => listener.seen.includes(`after-${round}`));
    }
    expect(logger.find('warn', /pub\/sub connection to .* lost/).length).toBeGreaterThanOrEqual(2);
    // The shared connection and the pool still work alongside.
    expect(await listener.redis.call('ping')).toBe('PONG');

    await within(app.close(), 10_000, 'app.close()');
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    expect(await numsub(admin, 'loss.ch')).toBe(0);
  });

  it('app.close() does not wait for a pool slot the push connection is still waiting for', async () => {
    const clientName = 'slot-wait-app';
    const { app } = await start(clientName, []);
    const redis = app.get<Redis>(getRedisToken());
    // The user holds the only exclusive connection, so the subscription cannot get one.
    const held = await redis.connection();
    const stream = app.get(RedisPubSub).observe('slot.ch').subscribe();
    expect(await numsub(admin, 'slot.ch')).toBe(0);

    await within(app.close(), 10_000, 'app.close()');
    expect(stream.closed).toBe(true);
    await expect(held.call('ping')).rejects.toThrow();
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
  });
});
