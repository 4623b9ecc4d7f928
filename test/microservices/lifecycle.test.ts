import { Controller, Inject, Module, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ClientsModule } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { Redis } from '../../lib/core/index.js';
import { JustRedisClientProxy, JustRedisServer, type JustRedisStatus } from '../../lib/microservices/index.js';
import { adminClient, clientCount, deadPort, eventually, numsub } from '../nest/nest-helpers.js';
import { MathModule, openableGate, Probe } from './fixtures.js';

let server: RedisServer;
let admin: Redis;
let url: string;

beforeAll(async () => {
  server = await startRedisServer();
  admin = adminClient(server.port);
  url = `redis://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** Every test releases what it opened: the server is left with the connections it had before. */
let baseline = 0;
afterEach(async () => {
  await eventually(async () => (await clientCount(admin)) === baseline);
});

function record(status: { subscribe(next: (s: JustRedisStatus) => void): unknown }): JustRedisStatus[] {
  const seen: JustRedisStatus[] = [];
  status.subscribe((s) => seen.push(s));
  return seen;
}

describe('options', () => {
  it('rejects bad options with a TypeError/RangeError at construction, before connecting, without the password', () => {
    expect(() => new JustRedisServer({ url: 42 as unknown as string })).toThrow(TypeError);
    expect(() => new JustRedisServer({ url, wildcards: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => new JustRedisClientProxy({ url, wildcards: true } as never)).toThrow(/server option/);
    expect(() => new JustRedisClientProxy({ url, client: admin })).toThrow(/either "client" or connection options/);
    expect(() => new JustRedisServer({ client: {} as Redis })).toThrow(TypeError);
    expect(() => new JustRedisServer({ connectTimeout: -1 })).toThrow(RangeError);
    expect(() => new JustRedisClientProxy({ serializer: {} as never })).toThrow(/serialize/);
    let message = '';
    try {
      new JustRedisClientProxy({ url: 'redis://user:s3cret-pw@127.0.0.1:1', bogus: 1 } as never);
    } catch (err) {
      message = String((err as Error).message);
    }
    expect(message).toMatch(/Unknown option "bogus"/);
    expect(message).not.toContain('s3cret-pw');
  });

  it('rejects on() with an unknown event or no function', () => {
    expect(() => new JustRedisServer({ url }).on('message' as never, (() => {}) as never)).toThrow(TypeError);
    expect(() => new JustRedisClientProxy({ url }).on('disconnect', 'x' as never)).toThrow(TypeError);
  });
});

describe('JustRedisServer', () => {
  it('reports connected, reconnecting after CLIENT KILL TYPE pubsub, connected again, then disconnected on close', async () => {
    const strategy = new JustRedisServer({ url });
    const statuses = record(strategy.status);
    expect(() => strategy.unwrap()).toThrow(/Not initialized/);
    const app = await NestFactory.createMicroservice(MathModule, { strategy, logger: false });
    await app.listen();
    expect(statuses).toEqual(['connected']);
    expect(strategy.unwrap()).toBeInstanceOf(Redis);

    expect(await admin.call('client', 'kill', 'type', 'pubsub')).toBe(1);
    await eventually(() => statuses.length >= 3 && statuses[statuses.length - 1] === 'connected', 15_000);
    expect(statuses).toEqual(['connected', 'reconnecting', 'connected']);

    await app.close();
    expect(statuses[statuses.length - 1]).toBe('disconnected');
  });

  it('passes the client events to on() listeners given before listen()', async () => {
    const strategy = new JustRedisServer({ url });
    const lost = openableGate();
    strategy.on('disconnect', () => lost.open());
    const app = await NestFactory.createMicroservice(MathModule, { strategy, logger: false });
    await app.listen();
    // The pool's shared connection (the one replies are published on), not the subscriber.
    await admin.call('client', 'kill', 'type', 'normal', 'skipme', 'yes');
    await lost.promise;
    await app.close();
  });

  it('fails listen() with a clear error when Redis cannot be reached, and leaves nothing open', async () => {
    const port = await deadPort();
    const app = await NestFactory.createMicroservice(MathModule, {
      strategy: new JustRedisServer({ url: `redis://127.0.0.1:${port}`, connectTimeout: 1000 }),
      logger: false,
    });
    await expect(app.listen()).rejects.toThrow(`127.0.0.1:${port}`);
    await app.close();
  });

  it('shares a client it is given and never closes it', async () => {
    const shared = new Redis({ address: ['127.0.0.1', server.port] });
    const strategy = new JustRedisServer({ client: shared });
    const app = await NestFactory.createMicroservice(MathModule, { strategy, logger: false });
    await app.listen();
    expect(strategy.unwrap()).toBe(shared);
    const client = new JustRedisClientProxy({ url });
    expect(await firstValueFrom(client.send('sum', [2, 3]))).toBe(5);
    await client.close();
    await app.close();
    expect(shared.closed).toBe(false);
    expect(await shared.call('ping', { decoder: 'utf8' })).toBe('PONG');
    await shared.close();
  });
});

describe('serializer and deserializer hooks', () => {
  it('runs the client serializer on requests and the server serializer on replies', async () => {
    // Server side: wrap every reply value; client side: scale every request's numbers.
    const wrapReplies = { serialize: (packet: { response?: unknown }) => ('response' in packet && packet.response !== undefined ? { ...packet, response: { v: packet.response } } : packet) };
    const scaleRequests = { serialize: (packet: { data: number[] }) => ({ ...packet, data: packet.data.map((x) => x * 10) }) };
    const app = await NestFactory.createMicroservice(MathModule, { strategy: new JustRedisServer({ url, serializer: wrapReplies }), logger: false });
    await app.listen();
    const client = new JustRedisClientProxy({ url, serializer: scaleRequests });
    expect(await firstValueFrom(client.send('sum', [1, 2]))).toEqual({ v: 30 });
    await client.close();
    await app.close();
  });
});

describe('JustRedisClientProxy', () => {
  let app: INestMicroservice;

  beforeAll(async () => {
    app = await NestFactory.createMicroservice(MathModule, { strategy: new JustRedisServer({ url }), logger: false });
    await app.listen();
    baseline = 2; // the service's pool connection and its subscriber
    await eventually(async () => (await clientCount(admin)) === baseline);
  });

  afterAll(async () => {
    await app?.close();
    baseline = 0;
  });

  afterEach(() => {
    app.get(Probe).gate.open();
  });

  it('reports connected, reconnecting when its subscriber is killed, connected on the next request, disconnected on close', async () => {
    const client = new JustRedisClientProxy({ url });
    const statuses = record(client.status);
    await client.connect();
    expect(statuses).toEqual(['connected']);
    expect(client.unwrap()).toBeInstanceOf(Redis);

    const probe = app.get(Probe);
    probe.gate = openableGate();
    probe.slowEntered = openableGate();
    const inFlight = firstValueFrom(client.send('slow', 1));
    await probe.slowEntered.promise;
    await eventually(() => statuses.includes('connected'));
    const serverSubscriber = 1;
    expect(await admin.call('client', 'kill', 'type', 'pubsub')).toBe(serverSubscriber + 1);
    await expect(inFlight).rejects.toThrow('Connection lost');
    expect(statuses[statuses.length - 1]).toBe('reconnecting');
    probe.gate.open();
    await eventually(async () => (await numsub(admin, 'sum')) === 1, 15_000); // the service resubscribed too

    expect(await firstValueFrom(client.send('sum', [1, 2]).pipe(timeout(10_000)))).toBe(3);
    expect(statuses[statuses.length - 1]).toBe('connected');
    await client.close();
    expect(statuses[statuses.length - 1]).toBe('disconnected');
  });

  it('keeps a reply channel subscribed across back-to-back requests, and drops it once idle', async () => {
    const client = new JustRedisClientProxy({ url });
    await client.connect();
    const subscribes = async () => {
      const stats = (await admin.call('info', 'commandstats')) as string;
      return Number(/cmdstat_subscribe:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    };
    const before = await subscribes();
    for (let i = 0; i < 10; i++) expect(await firstValueFrom(client.send('sum', [i, 1]))).toBe(i + 1);
    expect((await subscribes()) - before).toBe(1);
    expect(await numsub(admin, 'sum.reply')).toBe(1);
    await eventually(async () => (await numsub(admin, 'sum.reply')) === 0, 15_000);
    await client.close();
  });

  it('survives hostile packets on both sides: the service and the client keep working', async () => {
    // A strict deserializer that throws on junk: its error must not end the client's push connection.
    const strict = {
      deserialize(value: unknown) {
        if (typeof value !== 'object' || value === null || typeof (value as { id?: unknown }).id !== 'string') throw new Error('junk');
        return value as never;
      },
    };
    const client = new JustRedisClientProxy({ url, deserializer: strict });
    const statuses = record(client.status);
    expect(await firstValueFrom(client.send('sum', [1]))).toBe(1); // its reply channel is subscribed now
    const raw = adminClient(server.port);
    for (const junk of ['not json', '{"id":', 'null', '5', '{"id":{},"pattern":"sum","data":"x"}', '{"pattern":"sum","data":[1],"id":"a"}']) {
      await raw.call('publish', 'sum', junk);
      await raw.call('publish', 'sum.reply', junk);
    }
    await raw.close();
    expect(await firstValueFrom(client.send('sum', [2, 2]))).toBe(4);
    expect(statuses).toEqual(['connected']); // never lost its subscriber connection
    await client.close();
  });

  it('fails requests in flight on close() and can connect again afterwards', async () => {
    const client = new JustRedisClientProxy({ url });
    const probe = app.get(Probe);
    probe.gate = openableGate();
    probe.slowEntered = openableGate();
    const inFlight = firstValueFrom(client.send('slow', 1));
    await probe.slowEntered.promise;
    await client.close();
    await expect(inFlight).rejects.toThrow('Connection closed');
    expect(() => client.unwrap()).toThrow(/Not initialized/);
    expect(await firstValueFrom(client.send('sum', [4, 4]))).toBe(8);
    await client.close();
  });

  it('rejects connect() against an unreachable server, and closes cleanly', async () => {
    const client = new JustRedisClientProxy({ url: `redis://127.0.0.1:${await deadPort()}`, connectTimeout: 1000 });
    await expect(client.connect()).rejects.toThrow(/127.0.0.1:\d+/);
    await expect(firstValueFrom(client.send('sum', [1]))).rejects.toThrow(/127.0.0.1:\d+/);
    await client.close();
  });

  it('works as a ClientsModule customClass, and the app closes it on shutdown', async () => {
    @Controller()
    class Caller {
      constructor(@Inject('MATH') readonly math: JustRedisClientProxy) {}
    }
    @Module({ imports: [ClientsModule.register([{ name: 'MATH', customClass: JustRedisClientProxy, options: { url } }])], controllers: [Caller] })
    class CallerModule {}

    const moduleRef = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    const http: INestApplication = moduleRef.createNestApplication({ logger: false });
    await http.init();
    const math = http.get(Caller).math;
    expect(math).toBeInstanceOf(JustRedisClientProxy);
    expect(await firstValueFrom(math.send('sum', [10, 20]))).toBe(30);
    await http.close();
    expect(() => math.unwrap()).toThrow(/Not initialized/);
  });
});

