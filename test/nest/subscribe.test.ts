import { Controller, Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { JustRedisModule, RedisPubSub, RedisSubscribe, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, counter, eventually, numsub } from './nest-helpers.js';

/** Resolves the next time `record` sees a message matching. */
class Inbox {
  readonly messages: RedisMessage<any>[] = [];
  #waiters: { test: (m: RedisMessage<any>) => boolean; resolve: () => void }[] = [];
  record(message: RedisMessage<any>): void {
    this.messages.push(message);
    this.#waiters = this.#waiters.filter((w) => (w.test(message) ? (w.resolve(), false) : true));
  }
  until(test: (m: RedisMessage<any>) => boolean): Promise<void> {
    if (this.messages.some(test)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }
  data(channel?: string): unknown[] {
    return this.messages.filter((m) => channel === undefined || m.channel === channel).map((m) => m.data);
  }
  clear(): void {
    this.messages.length = 0;
  }
}

let gate: { open(): void; promise: Promise<void> } = makeGate();
function makeGate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { open, promise };
}

@Injectable()
class Handlers {
  readonly seq = new Inbox();
  readonly boom = new Inbox();
  readonly slow = new Inbox();
  readonly fast = new Inbox();
  readonly patterns = new Inbox();
  readonly shard = new Inbox();
  readonly many = new Inbox();
  readonly raw = new Inbox();
  readonly other = new Inbox();
  slowCalls = 0;

  @RedisSubscribe('seq')
  onSeq(message: RedisMessage): void {
    this.seq.record(message);
  }

  @RedisSubscribe('boom')
  async onBoom(message: RedisMessage): Promise<void> {
    if (message.data === 'bad') throw new Error('sync-style failure');
    if (message.data === 'bad-async') {
      await Promise.resolve();
      throw new Error('async failure');
    }
    this.boom.record(message);
  }

  @RedisSubscribe('slow')
  async onSlow(message: RedisMessage): Promise<void> {
    this.slowCalls++;
    if (message.data === 'first') await gate.promise;
    this.slow.record(message);
  }

  @RedisSubscribe('fast')
  onFast(message: RedisMessage): void {
    this.fast.record(message);
  }

  @RedisSubscribe({ pattern: 'user.*' })
  onUser(message: RedisMessage): void {
    this.patterns.record(message);
  }

  @RedisSubscribe({ shard: 'orders' })
  onOrder(message: RedisMessage): void {
    this.shard.record(message);
  }

  @RedisSubscribe(['multi.a', 'multi.b'])
  @RedisSubscribe('multi.c')
  onMany(message: RedisMessage): void {
    this.many.record(message);
  }

  @RedisSubscribe('raw', { decoder: null })
  onRaw(message: RedisMessage<Buffer>): void {
    this.raw.record(message);
  }

  @RedisSubscribe({ channel: 'seq', client: 'other' })
  onOtherSeq(message: RedisMessage): void {
    this.other.record(message);
  }
}

@Controller()
class EventsController {
  readonly inbox = new Inbox();
  @RedisSubscribe('controller.events')
  onEvent(message: RedisMessage): void {
    this.inbox.record(message);
  }
}

let server: RedisServer;
let admin: Redis;
let app: INestApplication;
let handlers: Handlers;
let pubsub: RedisPubSub;
const logger = new CapturingLogger();

beforeAll(async () => {
  server = await startRedisServer();
  admin = adminClient(server.port);
  const moduleRef = await Test.createTestingModule({
    imports: [
      JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' }),
      JustRedisModule.forRoot({ name: 'other', url: server.url, respVersion: 3 }),
    ],
    providers: [Handlers],
    controllers: [EventsController],
  })
    .setLogger(logger)
    .compile();
  app = moduleRef.createNestApplication();
  await app.init();
  handlers = app.get(Handlers);
  pubsub = app.get(RedisPubSub);
});

afterAll(async () => {
  await app?.close();
  await admin?.close();
  await server?.stop();
});

async function publish(channel: string, ...messages: (string | Buffer)[]): Promise<void> {
  for (const m of messages) await admin.call('publish', channel, m);
}

describe('@RedisSubscribe', () => {
  it('is subscribed once app.init() resolves, over one push connection per client', async () => {
    expect(await numsub(admin, 'seq')).toBe(2); // the default client and 'other'
    const list = (await admin.call('client', 'list')) as string;
    expect(list.split('\n').filter((line) => / flags=\S*P/.test(line))).toHaveLength(2);
  });

  it('delivers every message to a handler in order', async () => {
    const all = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await publish('seq', ...all);
    await handlers.seq.until((m) => m.data === 'm199');
    await handlers.other.until((m) => m.data === 'm199');
    expect(handlers.seq.data()).toEqual(all);
    expect(handlers.other.data()).toEqual(all);
    expect(handlers.seq.messages[0]).toEqual({ channel: 'seq', data: 'm0' });
  });

  it('keeps delivering after a handler throws, synchronously or not, and logs each error', async () => {
    await publish('boom', 'one', 'bad', 'two', 'bad-async', 'three');
    await handlers.boom.until((m) => m.data === 'three');
    expect(handlers.boom.data()).toEqual(['one', 'two', 'three']);
    const errors = logger.find('error', /Handlers\.onBoom/);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('sync-style failure'),
      expect.stringContaining('async failure'),
    ]);
  });

  it('awaits an async handler before its next message without holding up other handlers', async () => {
    await publish('slow', 'first', 'second');
    await publish('fast', 'f1');
    await handlers.fast.until((m) => m.data === 'f1');
    // 'second' was published before 'f1' and so has arrived, but 'first' is still being handled.
    expect(handlers.slowCalls).toBe(1);
    expect(handlers.slow.data()).toEqual([]);
    gate.open();
    await handlers.slow.until((m) => m.data === 'second');
    expect(handlers.slow.data()).toEqual(['first', 'second']);
  });

  it('handles patterns, sharded channels, several channels, Buffers, and controllers', async () => {
    await publish('user.42', 'hi');
    await admin.call('spublish', 'orders', 'o-1');
    await publish('multi.a', 'A');
    await publish('multi.b', 'B');
    await publish('multi.c', 'C');
    await publish('raw', Buffer.from([0xff, 0x00, 0x01]));
    await publish('controller.events', 'ctl');
    await handlers.patterns.until(() => true);
    await handlers.shard.until(() => true);
    await handlers.many.until((m) => m.data === 'C');
    await handlers.raw.until(() => true);
    await app.get(EventsController).inbox.until(() => true);
    expect(handlers.patterns.messages).toEqual([{ channel: 'user.42', pattern: 'user.*', data: 'hi' }]);
    expect(handlers.shard.messages).toEqual([{ channel: 'orders', shard: true, data: 'o-1' }]);
    expect(handlers.many.data()).toEqual(['A', 'B', 'C']);
    expect(handlers.raw.messages[0].data).toEqual(Buffer.from([0xff, 0x00, 0x01]));
    expect(app.get(EventsController).inbox.data()).toEqual(['ctl']);
  });

  it('resubscribes everything after the server restarts, logging the loss and the recovery once', async () => {
    handlers.seq.clear();
    handlers.patterns.clear();
    const lost = logger.waitFor('warn', /Redis client "default": pub\/sub connection to .* lost/);
    const restored = logger.waitFor('log', /Redis client "default": pub\/sub connection to .* restored/);
    const restoredOther = logger.waitFor('log', /Redis client "other": pub\/sub connection to .* restored/);
    await server.restart();
    await lost;
    await restored;
    await restoredOther;
    // The server confirms subscriptions on its own schedule: wait until it lists both clients again.
    await eventually(async () => (await numsub(admin, 'seq')) === 2, 10_000);
    await eventually(async () => ((await admin.call('pubsub', 'numpat')) as number) === 1, 10_000);
    const after = Array.from({ length: 50 }, (_, i) => `r${i}`);
    await publish('seq', ...after);
    await publish('user.7', 'back');
    await handlers.seq.until((m) => m.data === 'r49');
    await handlers.patterns.until((m) => m.data === 'back');
    expect(handlers.seq.data()).toEqual(after);
    expect(logger.find('warn', /Redis client "default": pub\/sub connection .* lost/)).toHaveLength(1);
    expect(logger.find('log', /Redis client "default": pub\/sub connection .* restored/)).toHaveLength(1);
    expect(logger.find('warn', /Redis client "default": pub\/sub connection failed/)).toHaveLength(0);
  });

  it('still works through RedisPubSub.publish after the restart', async () => {
    const done = counter(1);
    const sub = pubsub.observe('fast').subscribe(() => done.hit());
    await pubsub.settled();
    expect(await pubsub.publish('fast', 'via-service')).toBe(1); // the observer shares the handler's subscription
    await done.done;
    await handlers.fast.until((m) => m.data === 'via-service');
    sub.unsubscribe();
    // The client's shared connection was lost in the restart too: logged once, and its
    // recovery (on this first command after it) once.
    await logger.waitFor('log', /Redis client "default" reconnected to 127\.0\.0\.1:/);
    expect(logger.find('warn', /Redis client "default" lost its connection/)).toHaveLength(1);
    expect(logger.find('log', /Redis client "default" reconnected/)).toHaveLength(1);
  });
});
