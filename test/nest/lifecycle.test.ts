import { jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { useRedisServerWithAdmin } from '../fixtures.js';
import { InjectRedis, JustRedisModule, RedisPubSub, RedisSubscribe, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, clientCount, eventually, numsub } from './nest-helpers.js';

const { server, admin } = useRedisServerWithAdmin((s) => adminClient(s.port));

@Injectable()
class Busy {
  readonly seen: string[] = [];
  constructor(
    @InjectRedis() readonly redis: Redis,
    @InjectRedis('other', { database: 2 }) readonly other: Redis,
  ) {}

  @RedisSubscribe('life')
  onLife(message: RedisMessage): void {
    this.seen.push(message.data);
  }

  @RedisSubscribe({ pattern: 'life.*', client: 'other' })
  onOther(message: RedisMessage): void {
    this.seen.push(message.data);
  }
}

/** Sockets and timers of this process, by kind. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

async function startApp(logger = new CapturingLogger()) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' }),
      JustRedisModule.forRootAsync({ name: 'other', useFactory: () => ({ url: server.url, decoder: 'utf8' as const }) }),
    ],
    providers: [Busy],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.init();
  const busy = app.get(Busy);
  await busy.redis.call('set', 'x', '1');
  await busy.other.call('set', 'x', '2');
  const stream = app.get(RedisPubSub).observe('life.obs', { client: 'other' }).subscribe();
  await app.get(RedisPubSub).settled();
  return { app, busy, stream };
}

describe('shutdown', () => {
  it('app.close() ends subscriptions and closes every client: CLIENT LIST and handles are back', async () => {
    const before = await clientCount(admin);
    const handlesBefore = resources();
    const { app, busy } = await startApp();
    expect(await numsub(admin, 'life')).toBe(1);
    await admin.call('publish', 'life', 'hello');
    await eventually(() => busy.seen.includes('hello'));
    expect(await clientCount(admin)).toBeGreaterThanOrEqual(before + 4); // 2 shared + 2 push connections

    await app.close();
    expect(busy.redis.closed).toBe(true);
    expect(busy.other.closed).toBe(true);
    await eventually(async () => (await clientCount(admin)) === before);
    expect(await numsub(admin, 'life')).toBe(0);
    // No socket or timer of ours is left (only what existed before the app, e.g. the admin client).
    await eventually(() => {
      const now = resources();
      return (now.TCPSocketWrap ?? 0) <= (handlesBefore.TCPSocketWrap ?? 0) && (now.Timeout ?? 0) <= (handlesBefore.Timeout ?? 0);
    });
  });

  it('closes on a signal with enableShutdownHooks()', async () => {
    const before = await clientCount(admin);
    const { app, busy } = await startApp();
    // Under Jest, `process` is a per-test copy that real signals do not reach, so the signal
    // is delivered the way Node.js delivers one: as an event on `process`. Once the app is
    // closed, Nest re-raises it with process.kill() for the default action (ending the
    // process), which is intercepted here.
    const kill = jest.spyOn(process, 'kill');
    const reraised = new Promise<unknown>((resolve) =>
      kill.mockImplementation((_pid: number, signal?: string | number) => {
        resolve(signal);
        return true;
      }),
    );
    try {
      app.enableShutdownHooks(['SIGUSR2']);
      process.emit('SIGUSR2' as never, 'SIGUSR2' as never);
      expect(await reraised).toBe('SIGUSR2');
      expect(busy.redis.closed && busy.other.closed).toBe(true);
      await eventually(async () => (await clientCount(admin)) === before);
    } finally {
      kill.mockRestore();
    }
  });

  it('closes the clients of a module that was compiled but never initialised', async () => {
    const before = await clientCount(admin);
    const moduleRef = await Test.createTestingModule({ imports: [JustRedisModule.forRoot({ url: server.url })] }).compile();
    expect(await clientCount(admin)).toBe(before + 1); // connectOnInit: the PING's shared connection
    await moduleRef.close();
    await eventually(async () => (await clientCount(admin)) === before);
  });
});
