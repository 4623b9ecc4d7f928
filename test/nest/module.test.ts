import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { useRedisServerWithAdmin } from '../fixtures.js';
import {
  getRedisToken,
  InjectRedis,
  JustRedisClients,
  JustRedisConnectError,
  JustRedisModule,
  Redis,
  RedisSubscribe,
  type JustRedisClientOptions,
  type JustRedisOptionsFactory,
} from '../../lib/index.js';
import { redact } from '../../lib/nest/utils/redact.util.js';
import { clientCoreOf } from '../../lib/core/redis.js';
import { adminClient, CapturingLogger, clientCount, deadPort, eventually } from './nest-helpers.js';

const { server, admin } = useRedisServerWithAdmin((s) => adminClient(s.port));

@Injectable()
class Views {
  constructor(
    @InjectRedis() readonly root: Redis,
    @InjectRedis({ database: 1 }) readonly db1: Redis,
    @InjectRedis('default', { database: 1 }) readonly db1Again: Redis,
    @InjectRedis({ decoder: null }) readonly raw: Redis,
    @InjectRedis('cache') readonly cache: Redis,
    @InjectRedis('cache', { database: 3, decoder: 'utf8' }) readonly cache3: Redis,
    @Inject(getRedisToken('cache', { decoder: 'utf8', database: 3 })) readonly cache3ByToken: Redis,
  ) {}
}

describe('JustRedisModule', () => {
  it('provides named clients and views on the right database and decoder, sharing pools', async () => {
    await admin.call('flushall');
    const moduleRef = await Test.createTestingModule({
      imports: [
        JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' }),
        JustRedisModule.forRoot({ name: 'cache', address: ['127.0.0.1', server.port], database: 2 }),
      ],
      providers: [Views],
    }).compile();
    const views = moduleRef.get(Views);

    await views.root.call('set', 'k', 'db0');
    await views.db1.call('set', 'k', 'db1');
    await views.cache.call('set', 'k', 'db2');
    await views.cache3.call('set', 'k', 'db3');
    for (const db of [0, 1, 2, 3]) expect(await admin.call('get', 'k', { database: db })).toBe(`db${db}`);

    expect(await views.root.call('get', 'k')).toBe('db0');
    expect(await views.raw.call('get', 'k')).toEqual(Buffer.from('db0'));
    expect(await views.cache.call('get', 'k')).toEqual(Buffer.from('db2')); // its own decoder: null
    expect(await views.cache3.call('get', 'k')).toBe('db3');

    // One provider per distinct view; settings order does not matter; views share the root's pools.
    expect(views.db1Again).toBe(views.db1);
    expect(views.cache3ByToken).toBe(views.cache3);
    expect(views.db1).not.toBe(views.root);
    expect(clientCoreOf(views.db1)).toBe(clientCoreOf(views.root));
    expect(clientCoreOf(views.cache3)).toBe(clientCoreOf(views.cache));
    expect(clientCoreOf(views.cache)).not.toBe(clientCoreOf(views.root));
    expect(moduleRef.get(getRedisToken())).toBe(views.root);
    expect(moduleRef.get(JustRedisClients).names().sort()).toEqual(['cache', 'default']);

    await moduleRef.close();
    expect(views.root.closed).toBe(true);
    expect(views.cache.closed).toBe(true);
  });

  it('gives the same token for the same view, whatever the argument form', () => {
    expect(getRedisToken()).toBe(getRedisToken('default'));
    expect(getRedisToken({})).toBe(getRedisToken());
    expect(getRedisToken({ database: 1, decoder: null })).toBe(getRedisToken('default', { decoder: null, database: 1 }));
    expect(getRedisToken({ database: 1 })).not.toBe(getRedisToken('cache', { database: 1 }));
    expect(() => getRedisToken({ db: 1 } as never)).toThrow(TypeError);
    expect(() => getRedisToken({ database: -1 })).toThrow(TypeError);
    expect(() => getRedisToken('')).toThrow(TypeError);
  });

  it('forRootAsync with useFactory, useClass and useExisting', async () => {
    @Injectable()
    class Config {
      url = server.url;
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}

    @Injectable()
    class Options implements JustRedisOptionsFactory {
      createJustRedisOptions(): JustRedisClientOptions {
        return { address: ['127.0.0.1', server.port], database: 5, decoder: 'utf8' };
      }
    }
    @Module({ providers: [Options], exports: [Options] })
    class OptionsModule {}

    @Injectable()
    class Users {
      constructor(
        @InjectRedis('a') readonly a: Redis,
        @InjectRedis('b') readonly b: Redis,
        @InjectRedis('c', { database: 6 }) readonly c6: Redis,
      ) {}
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        JustRedisModule.forRootAsync({
          name: 'a',
          imports: [ConfigModule],
          inject: [Config],
          useFactory: async (config: Config) => ({ url: `${config.url}/4`, decoder: 'utf8' as const }),
        }),
        JustRedisModule.forRootAsync({ name: 'b', useClass: Options }),
        JustRedisModule.forRootAsync({ name: 'c', imports: [OptionsModule], useExisting: Options }),
      ],
      providers: [Users],
    }).compile();
    const users = moduleRef.get(Users);
    await users.a.call('set', 'who', 'a');
    await users.b.call('set', 'who', 'b');
    await users.c6.call('set', 'who', 'c6');
    expect(await admin.call('get', 'who', { database: 4 })).toBe('a');
    expect(await admin.call('get', 'who', { database: 5 })).toBe('b');
    expect(await admin.call('get', 'who', { database: 6 })).toBe('c6');
    await moduleRef.close();
  });

  it('masks URL passwords in what it logs', () => {
    expect(redact('lost redis://user:pw@h:1/0 and rediss://:pw2@h2 and redis://pw3@h3 and redis://h4')).toBe(
      'lost redis://user:***@h:1/0 and rediss://:***@h2 and redis://***@h3 and redis://h4',
    );
  });

  it('rejects bad module options early with a TypeError', () => {
    expect(() => JustRedisModule.forRootAsync({ name: 'x' })).toThrow(TypeError);
    expect(() => JustRedisModule.forRoot({ name: '' })).toThrow(TypeError);
  });

  it('fails start-up with a clear error naming the address, without the password', async () => {
    const port = await deadPort();
    const logger = new CapturingLogger();
    const compiling = Test.createTestingModule({
      imports: [JustRedisModule.forRoot({ url: `redis://user:hunter2-secret@127.0.0.1:${port}/0`, connectRetry: 1 })],
    })
      .setLogger(logger)
      .compile();
    const error = await compiling.then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(JustRedisConnectError);
    expect(error!.message).toContain(`127.0.0.1:${port}`);
    expect(error!.message).toContain('"default"');
    expect(error!.message).toMatch(/connectOnInit: false/);
    expect(`${error!.message} ${String(error!.cause)} ${error!.stack}`).not.toContain('hunter2');
    expect(logger.text()).not.toContain('hunter2');
  });

  it('with connectOnInit: false, starts without a server and connects on first use', async () => {
    const port = await deadPort();
    const moduleRef = await Test.createTestingModule({
      imports: [JustRedisModule.forRoot({ address: ['127.0.0.1', port], connectOnInit: false, connectRetry: 0 })],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const redis = app.get<Redis>(getRedisToken());
    await expect(redis.call('ping')).rejects.toThrow(`127.0.0.1:${port}`);
    await app.close();
  });

  it('lets tests replace a client with overrideProvider(getRedisToken())', async () => {
    const fake = { call: async (...args: unknown[]) => `fake ${args.join(' ')}` };
    @Injectable()
    class UsesRedis {
      constructor(@InjectRedis() readonly redis: Redis) {}
      hello() {
        return this.redis.call('get', 'hello');
      }
    }
    const moduleRef = await Test.createTestingModule({
      // connectOnInit stays true: the real client is never made, so no server is needed.
      imports: [JustRedisModule.forRoot({ address: ['127.0.0.1', await deadPort()] })],
      providers: [UsesRedis],
    })
      .overrideProvider(getRedisToken())
      .useValue(fake)
      .compile();
    expect(await moduleRef.get(UsesRedis).hello()).toBe('fake get hello');
    expect(moduleRef.get(JustRedisClients).get()).toBe(fake);
    await moduleRef.close();
  });

  it('closes every client of every name on app.close(): CLIENT LIST is back where it was', async () => {
    @Injectable()
    class Db1 {
      constructor(@InjectRedis('one', { database: 1 }) readonly db1: Redis) {}
    }
    const before = await clientCount(admin);
    const moduleRef = await Test.createTestingModule({
      imports: [
        JustRedisModule.forRoot({ url: server.url }),
        JustRedisModule.forRoot({ name: 'one', url: server.url }),
        JustRedisModule.forRootAsync({ name: 'two', useFactory: () => ({ url: server.url }) }),
      ],
      providers: [Db1],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const clients = app.get(JustRedisClients);
    await Promise.all(['default', 'one', 'two'].map((n) => clients.get(n).call('ping')));
    await app.get(Db1).db1.call('ping');
    const conn = await clients.get('one').connection();
    await conn.call('ping');
    expect(await clientCount(admin)).toBeGreaterThanOrEqual(before + 5);
    await app.close();
    await eventually(async () => (await clientCount(admin)) === before);
  });
});

describe('@RedisSubscribe configuration', () => {
  it('fails start-up when a handler names a client that is not registered', async () => {
    @Injectable()
    class Misnamed {
      @RedisSubscribe('x', { client: 'nowhere' })
      onX(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [JustRedisModule.forRoot({ url: server.url })],
      providers: [Misnamed],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow('@RedisSubscribe on Misnamed.onX names client "nowhere"');
    await app.close();
  });

  it('rejects bad decorator arguments when the class is defined', () => {
    expect(() => RedisSubscribe('')).toThrow(TypeError);
    expect(() => RedisSubscribe({ client: 'a' })).toThrow(/at least one channel/);
    expect(() => RedisSubscribe({ channel: 'a', decoder: 'nope' as never })).toThrow(TypeError);
    expect(() => RedisSubscribe({ topic: 'a' } as never)).toThrow(/does not know "topic"/);
  });
});
