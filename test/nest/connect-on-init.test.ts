import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { InjectRedis, JustRedisModule, RedisSubscribe, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, eventually, numsub } from './nest-helpers.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
  await server.kill(); // the port is known, nothing listens on it until restart()
});
afterAll(async () => {
  await server?.stop();
});

@Injectable()
class Listener {
  readonly seen: string[] = [];
  constructor(@InjectRedis({ database: 3 }) readonly db3: Redis) {}

  @RedisSubscribe('wake')
  onWake(message: RedisMessage): void {
    this.seen.push(message.data);
  }
}

it('with connectOnInit: false, starts while Redis is down, then connects and subscribes once it is up', async () => {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: `${server.url}?connect_retry=0`, decoder: 'utf8', connectOnInit: false })],
    providers: [Listener],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.init(); // does not wait for the unreachable server
  const failed = await logger.waitFor('warn', /Redis client "default": pub\/sub connection failed/);
  expect(failed.message).toContain(`127.0.0.1:${server.port}`);

  await server.restart();
  await logger.waitFor('log', /Redis client "default": pub\/sub connection to .* restored, 1 subscription/);
  const admin = adminClient(server.port);
  try {
    await eventually(async () => (await numsub(admin, 'wake')) === 1, 10_000);
    await admin.call('publish', 'wake', 'up');
    const listener = app.get(Listener);
    await eventually(() => listener.seen.includes('up'));
    await listener.db3.call('set', 'k', 'v');
    expect(await admin.call('get', 'k', { database: 3 })).toBe('v');
    expect(logger.find('warn', /pub\/sub connection failed/)).toHaveLength(1);
  } finally {
    await app.close();
    await admin.close();
  }
});
