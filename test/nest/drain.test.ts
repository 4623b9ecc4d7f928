import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Observable } from 'rxjs';
import { useRedisServerWithAdmin } from '../fixtures.js';
import { InjectRedis, JustRedisModule, RedisSubscribe, type JustRedisModuleOptions, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, deferred, eventually, namedConnections, within } from './nest-helpers.js';

const { server, admin } = useRedisServerWithAdmin((s) => adminClient(s.port));

/** Holds its first message until the test releases it, then writes each message to Redis. */
@Injectable()
class SlowWriter {
  readonly started = deferred();
  readonly release = deferred();
  readonly received: string[] = [];
  readonly handled: string[] = [];
  constructor(@InjectRedis() readonly redis: Redis) {}

  // Sees every message as it arrives: once it has one, so has the slow handler's queue.
  @RedisSubscribe('drain.ch')
  onArrival(message: RedisMessage): void {
    this.received.push(message.data);
  }

  @RedisSubscribe('drain.ch')
  async onMessage(message: RedisMessage): Promise<void> {
    this.started.resolve();
    await this.release.promise;
    await this.redis.call('rpush', 'drain.list', message.data);
    this.handled.push(message.data);
  }
}

/** Never finishes on its own: one handler awaits forever, the other returns an Observable that never completes. */
@Injectable()
class Stuck {
  readonly started = deferred();
  readonly observableStarted = deferred();
  readonly never = deferred();
  readonly received: string[] = [];
  torndown = false;

  @RedisSubscribe('stuck.ch')
  onArrival(message: RedisMessage): void {
    this.received.push(message.data);
  }

  @RedisSubscribe('stuck.ch')
  async onMessage(_message: RedisMessage): Promise<void> {
    this.started.resolve();
    await this.never.promise;
  }

  @RedisSubscribe('stuck.obs')
  onObservable(_message: RedisMessage): Observable<never> {
    return new Observable<never>(() => {
      this.observableStarted.resolve();
      return () => {
        this.torndown = true;
      };
    });
  }
}

async function start(clientName: string, provider: typeof SlowWriter | typeof Stuck, extra: Partial<JustRedisModuleOptions> = {}) {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: server.url, decoder: 'utf8', clientName, ...extra })],
    providers: [provider],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await within(app.init(), 15_000, 'app.init()');
  return { app, logger };
}

describe('app.close() drains @RedisSubscribe handlers', () => {
  it('stops taking messages, runs the running call and the queued messages to the end, then closes the clients', async () => {
    const clientName = 'drain-app';
    await admin.call('del', 'drain.list');
    const { app, logger } = await start(clientName, SlowWriter);
    const writer = app.get(SlowWriter);
    for (const m of ['m1', 'm2', 'm3']) await admin.call('publish', 'drain.ch', m);
    await writer.started.promise;
    await eventually(() => writer.received.length === 3);

    const closing = app.close();
    // Logged right after intake stopped: what is published from now on is not taken.
    await logger.waitFor('log', /Waiting for 1 running @RedisSubscribe handler/);
    await admin.call('publish', 'drain.ch', 'late');
    writer.release.resolve();
    await within(closing, 10_000, 'app.close()');

    // The running call wrote to Redis (the client was still open), and so did the two queued behind it.
    expect(writer.handled).toEqual(['m1', 'm2', 'm3']);
    expect(await admin.call('lrange', 'drain.list', 0, -1)).toEqual(['m1', 'm2', 'm3']);
    expect(logger.find('error', /./)).toEqual([]);
    expect(logger.find('warn', /abandoned/)).toEqual([]);
    expect(writer.redis.closed).toBe(true);
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
  });

  it('abandons what is left after shutdownTimeout, logs it, cancels a running Observable, and closes anyway', async () => {
    const clientName = 'stuck-app';
    const { app, logger } = await start(clientName, Stuck, { shutdownTimeout: 200 });
    const stuck = app.get(Stuck);
    for (const m of ['s1', 's2', 's3']) await admin.call('publish', 'stuck.ch', m);
    await admin.call('publish', 'stuck.obs', 'o1');
    await stuck.started.promise;
    await stuck.observableStarted.promise;
    await eventually(() => stuck.received.length === 3);

    await within(app.close(), 10_000, 'app.close()');
    expect(logger.find('warn', /Stuck\.onMessage did not finish within shutdownTimeout \(200 ms\): abandoned its running call and 2 queued message\(s\)/)).toHaveLength(1);
    expect(logger.find('warn', /Stuck\.onObservable did not finish within shutdownTimeout \(200 ms\): abandoned its running call and 0 queued/)).toHaveLength(1);
    expect(stuck.torndown).toBe(true);
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    stuck.never.resolve();
  });

  it.each([
    [-1, RangeError],
    [Number.NaN, RangeError],
    [Infinity, RangeError],
    [2 ** 31, RangeError],
    ['5000', TypeError],
  ])('rejects shutdownTimeout %p with a %p before connecting', async (shutdownTimeout, type) => {
    const attempt = Test.createTestingModule({
      imports: [JustRedisModule.forRoot({ url: server.url, clientName: 'bad-timeout', shutdownTimeout: shutdownTimeout as number })],
    }).compile();
    await expect(attempt).rejects.toThrow(type);
    await expect(attempt).rejects.toThrow(/shutdownTimeout/);
    expect(await namedConnections(admin, 'bad-timeout')).toBe(0);
  });

  it('accepts shutdownTimeout 0: close does not wait for a running handler', async () => {
    const clientName = 'zero-timeout-app';
    const { app, logger } = await start(clientName, Stuck, { shutdownTimeout: 0 });
    const stuck = app.get(Stuck);
    await admin.call('publish', 'stuck.ch', 'z1');
    await stuck.started.promise;
    await within(app.close(), 10_000, 'app.close()');
    expect(logger.find('warn', /Stuck\.onMessage did not finish within shutdownTimeout \(0 ms\)/)).toHaveLength(1);
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    stuck.never.resolve();
  });
});
