/**
 * Hostile (or careless) callers: invalid arguments and options are refused with a
 * TypeError/RangeError before a byte is sent; arguments cannot smuggle extra commands;
 * passwords stay out of errors, logs, `inspect` and printed URLs; TLS checks certificates
 * and host names unless told not to.
 */
import { inspect } from 'node:util';
import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { startRedisServer, freePort, type RedisServer } from '../../lib/testing/index.js';
import { Redis, CommunicationError, RedisError, ReplyError } from '../../lib/core/index.js';
import { JustRedisModule } from '../../lib/nest/index.js';
import { clientCoreOf } from '../../lib/core/redis.js';
import { CapturingLogger } from '../nest/nest-helpers.js';
import { fakeServer, report, type FakeServer } from './support.js';

/** Runs `fn`; it must throw or reject with a TypeError or RangeError (not a RedisError). */
async function refused(fn: () => unknown): Promise<Error> {
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  if (!(error instanceof TypeError || error instanceof RangeError) || error instanceof RedisError) {
    throw new Error(`expected a TypeError or RangeError from ${fn.toString()}, got ${inspect(error)}`);
  }
  return error;
}

describe('invalid input is refused before anything is sent', () => {
  let fake: FakeServer;
  let r: Redis;
  beforeAll(async () => {
    fake = await fakeServer((socket) => socket.write('+OK\r\n'));
    r = new Redis({ address: fake.address, poolFactory: 'pool' });
  });
  afterAll(async () => {
    await r?.close();
    await fake?.close();
  });

  const fn = () => 1;
  const badCalls: [string, () => unknown][] = [
    ['no arguments', () => r.call()],
    ['undefined', () => r.call(undefined)],
    ['null', () => r.call(null)],
    ['a boolean', () => r.call(true)],
    ['only options', () => r.call({})],
    ['an array argument', () => r.call('get', ['k'])],
    ['undefined argument', () => r.call('set', 'k', undefined)],
    ['null argument', () => r.call('set', 'k', null)],
    ['boolean argument', () => r.call('set', 'k', false)],
    ['NaN argument', () => r.call('set', 'k', NaN)],
    ['symbol argument', () => r.call('set', 'k', Symbol('s'))],
    ['function argument', () => r.call('set', 'k', fn)],
    ['Date argument', () => r.call('set', 'k', new Date())],
    ['Map argument', () => r.call('set', 'k', new Map())],
    ['Set argument', () => r.call('set', 'k', new Set())],
    ['Promise argument', () => r.call('set', 'k', Promise.resolve('v'))],
    ['ArrayBuffer argument', () => r.call('set', 'k', new ArrayBuffer(4))],
    ['object that is not plain', () => r.call('set', 'k', new (class Thing {})())],
    ['unknown call option', () => r.call('get', 'k', { bogus: 1 })],
    ['decoder: unknown encoding', () => r.call('get', 'k', { decoder: 'klingon' })],
    ['decoder: a number', () => r.call('get', 'k', { decoder: 5 })],
    ['attributes: a string', () => r.call('get', 'k', { attributes: 'yes' })],
    ['database: negative', () => r.call('get', 'k', { database: -1 })],
    ['database: fractional', () => r.call('get', 'k', { database: 1.5 })],
    ['database: a string', () => r.call('get', 'k', { database: '1' })],
    ['endpoint: a number', () => r.call('get', 'k', { endpoint: 5 })],
    ['endpoint: port out of range', () => r.call('get', 'k', { endpoint: ['h', 70000] })],
    ['endpoint: empty', () => r.call('get', 'k', { endpoint: '' })],
    ['MULTI on the shared connection', () => r.call('multi')],
    ['SUBSCRIBE on the shared connection', () => r.call('subscribe', 'c')],
    ['SELECT on the shared connection', () => r.call('select', 1)],
    ['pipeline: not an array', () => r.pipeline('get k' as never)],
    ['pipeline: empty command', () => r.pipeline([[]])],
    ['pipeline: bad argument', () => r.pipeline([['set', 'k', null]])],
    ['pipeline: bad option', () => r.pipeline([['get', 'k']], { decoder: 7 as never })],
    ['pipeline: MULTI', () => r.pipeline([['multi']])],
    ['modify: not an object', () => r.modify(5 as never)],
    ['modify: bad database', () => r.modify({ database: -2 })],
    ['modify: unknown setting', () => r.modify({ nope: 1 } as never)],
    ['connection: unknown option', () => r.connection({ nope: 1 } as never)],
    ['connection: push not a boolean', () => r.connection({ push: 'yes' } as never)],
    ['connection: bad database', () => r.connection({ database: -1 })],
    ['connection: bad key', () => r.connection({ key: {} as never })],
    ['connection: bad endpoint', () => r.connection({ endpoint: 5 as never })],
  ];

  it.each(badCalls)('call-level: %s', async (_name, bad) => {
    await refused(bad);
  });

  const badOptions: [string, unknown][] = [
    ['null options', null],
    ['a number', 5],
    ['a string', 'redis://localhost'],
    ['an array', []],
    ['unknown option', { bogus: 1 }],
    ['address: a number', { address: 5 }],
    ['address: empty array', { address: [] }],
    ['address: negative port', { address: ['h', -1] }],
    ['address: port too big', { address: ['h', 65536] }],
    ['address: fractional port', { address: ['h', 1.5] }],
    ['address: empty path', { address: '' }],
    ['addresses: empty', { addresses: [] }],
    ['addresses: a string', { addresses: 'h:1' }],
    ['poolFactory', { poolFactory: 'magic' }],
    ['socketFactory', { socketFactory: 'carrier-pigeon' }],
    ['respVersion 4', { respVersion: 4 }],
    ['respVersion "3"', { respVersion: '3' }],
    ['username', { username: 5 }],
    ['password: a number', { password: 5 }],
    ['password: an object', { password: {} }],
    ['clientName', { clientName: 5 }],
    ['connectRetry negative', { connectRetry: -1 }],
    ['connectRetry fractional', { connectRetry: 1.5 }],
    ['connectRetry NaN', { connectRetry: NaN }],
    ['connectRetry a string', { connectRetry: '2' }],
    ['maxConnections 0', { maxConnections: 0 }],
    ['waitTimeout negative', { waitTimeout: -1 }],
    ['cutoffSize negative', { cutoffSize: -1 }],
    ['encoder', { encoder: 'klingon' }],
    ['decoder', { decoder: 'klingon' }],
    ['attributes', { attributes: 'yes' }],
    ['database negative', { database: -1 }],
    ['database fractional', { database: 2.5 }],
    ['connectTimeout 0', { connectTimeout: 0 }],
    ['socketTimeout 0', { socketTimeout: 0 }],
    ['socketTimeout a string', { socketTimeout: '100' }],
    ['tcpKeepalive negative', { tcpKeepalive: -1 }],
    ['tcpKeepalive a string', { tcpKeepalive: 'on' }],
    ['tcpNodelay', { tcpNodelay: 'yes' }],
    ['tls: a string', { tls: 'yes' }],
    ['tls: null', { tls: null }],
    ['sslCafile', { sslCafile: 5 }],
    ['maxBulkLength 0', { maxBulkLength: 0 }],
    ['maxBulkLength negative', { maxBulkLength: -5 }],
    ['readFrom', { readFrom: 'anywhere' }],
    ['natMap', { natMap: 5 }],
    ['maxRedirections', { maxRedirections: -1 }],
    ['clientSideCache: a string', { clientSideCache: 'yes' }],
    ['clientSideCache: maxEntries 0', { clientSideCache: { maxEntries: 0 } }],
    ['customCommandClass', { customCommandClass: 5 }],
  ];

  it.each(badOptions)('constructor: %s', async (_name, options) => {
    await refused(() => new Redis(options as never));
  });

  const badUrls = ['http://localhost', 'redis://h:99999', 'redis://h:1/x', 'redis://h:1?connectRetry=abc', 'redis://[::1', 'unix://', 'nonsense'];
  it.each(badUrls)('fromUrl: %s', async (url) => {
    await refused(() => Redis.fromUrl(url));
  });

  it('fromUrl: a number', async () => {
    await refused(() => Redis.fromUrl(5 as never));
  });

  it('none of it reached the server', () => {
    expect(fake.connections).toBe(0);
    expect(fake.bytes).toBe(0);
    report('hostile-callers', { invalidCalls: badCalls.length, invalidOptions: badOptions.length, invalidUrls: badUrls.length + 1, bytesSent: fake.bytes });
  });

  it('error messages about options never echo the value (it may be a password)', async () => {
    const secret = 'Sup3r-s3cret-value';
    const errors = [
      await refused(() => new Redis({ password: { secret } as never })),
      await refused(() => new Redis({ username: 7 as never, password: secret, socketTimeout: secret as never })),
      await refused(() => Redis.fromUrl(`redis://:${secret}@h:99999`)),
      await refused(() => Redis.fromUrl(`redis://user:${secret}@h:1?connectRetry=${secret}`)),
    ];
    for (const e of errors) expect(`${e.message}\n${e.stack}\n${inspect(e)}`).not.toContain(secret);
  });
});

describe('arguments cannot inject commands', () => {
  let server: RedisServer;
  let r: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    r = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
  });
  afterAll(async () => {
    await r?.close();
    await server?.stop();
  });

  it('CRLF and RESP framing inside keys, values and command names stay data', async () => {
    const evil = 'x\r\n*1\r\n$4\r\nPING\r\n';
    const multibyte = 'é€😀\r\n*1\r\n$4\r\nPING\r\n'; // byte length ≠ character length
    const inline = 'a\r\nPING\r\nPING';
    await r.call('config', 'resetstat');
    for (const value of [evil, multibyte, inline]) {
      expect(await r.call('set', value, value)).toBe('OK');
      expect(await r.call('get', value)).toBe(value);
      expect(await r.call('get', Buffer.from(value))).toBe(value);
      expect(await r.call('exists', value)).toBe(1);
      expect(await r.pipeline([['set', `p:${value}`, value], ['get', `p:${value}`]])).toEqual(['OK', value]);
      const err = await r.call(`get${value}`, 'k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplyError);
      expect((err as Error).message).toMatch(/unknown command/i);
    }
    const latin1 = new Redis({ address: [server.host, server.port], decoder: 'latin1', encoder: 'latin1' });
    expect(await latin1.call('echo', evil)).toBe(evil);
    await latin1.close();
    const stats = (await r.call('info', 'commandstats')) as string;
    // Had anything been injected, PING would have run.
    expect(stats).not.toMatch(/cmdstat_ping:/);
    expect(stats).toMatch(/cmdstat_set:calls=6,/);
    expect(stats).toMatch(/cmdstat_echo:calls=1,/);
  });
});

describe('passwords stay secret', () => {
  const PASSWORD = 'Tr0ub4dor-and-3-horses';
  let server: RedisServer;
  let deadPort: number;
  const logged: string[] = [];
  const spies: { mockRestore(): void }[] = [];
  beforeAll(async () => {
    server = await startRedisServer({ password: PASSWORD });
    deadPort = await freePort();
    for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      spies.push(jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => inspect(a)).join(' '))));
    }
  });
  afterAll(async () => {
    for (const s of spies) s.mockRestore();
    await server?.stop();
  });

  /** Everything a user could print about a thing: message, stack, causes, inspect, JSON. */
  function everything(thing: unknown): string {
    const parts = [inspect(thing, { depth: 10, showHidden: true, getters: true })];
    for (let e: unknown = thing; e instanceof Error; e = e.cause) parts.push(String(e.message), String(e.stack));
    try {
      parts.push(JSON.stringify(thing));
    } catch {
      // circular: inspect covers it
    }
    return parts.join('\n');
  }

  it('is absent from errors (wrong password, unreachable server, wrong password by URL)', async () => {
    const wrong = `${PASSWORD}-wrong`;
    const bad = new Redis({ address: [server.host, server.port], password: wrong, connectRetry: 0 });
    const e1 = await bad.call('ping').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ReplyError);
    expect(everything(e1)).not.toContain(wrong);
    expect(everything(bad)).not.toContain(wrong);
    await bad.close();

    const dead = Redis.fromUrl(`redis://user:${PASSWORD}@127.0.0.1:${deadPort}`, { connectRetry: 0 });
    const e2 = await dead.call('ping').catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(CommunicationError);
    expect(everything(e2)).not.toContain(PASSWORD);
    await dead.close();

    const byUrl = Redis.fromUrl(`redis://:${wrong}@${server.host}:${server.port}`, { connectRetry: 0 });
    const e3 = await byUrl.call('get', 'k').catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(ReplyError);
    expect(everything(e3)).not.toContain(wrong);
    await byUrl.close();
  });

  it('is absent from inspect, JSON and String of a working client and its options', async () => {
    const r = Redis.fromUrl(`redis://:${PASSWORD}@${server.host}:${server.port}`, { decoder: 'utf8' });
    expect(await r.call('ping')).toBe('PONG');
    expect(everything(r)).not.toContain(PASSWORD);
    expect(everything(clientCoreOf(r))).not.toContain(PASSWORD);
    expect(everything(clientCoreOf(r).options)).not.toContain(PASSWORD);
    expect(String(clientCoreOf(r).options.password)).not.toContain(PASSWORD);
    expect(await r.call('client', 'list')).not.toContain(PASSWORD);
    await r.close();
  });

  it('is absent from what the Nest module logs, connected, failing, or with a wrong password', async () => {
    const logger = new CapturingLogger();
    const wrong = `${PASSWORD}-nope`;
    for (const url of [`redis://:${PASSWORD}@${server.host}:${server.port}`, `redis://:${wrong}@${server.host}:${server.port}`, `redis://u:${PASSWORD}@127.0.0.1:${deadPort}`]) {
      let moduleRef;
      try {
        moduleRef = await Test.createTestingModule({ imports: [JustRedisModule.forRoot({ url, connectRetry: 0 })] })
          .setLogger(logger)
          .compile();
      } catch (err) {
        expect(everything(err)).not.toContain(PASSWORD);
        expect(everything(err)).not.toContain(wrong);
        continue;
      }
      const app = moduleRef.createNestApplication();
      const failure = await app.init().then(() => null, (e: unknown) => e);
      if (failure !== null) {
        expect(everything(failure)).not.toContain(PASSWORD);
        expect(everything(failure)).not.toContain(wrong);
      }
      await app.close();
    }
    expect(logger.entries.length).toBeGreaterThan(0);
    expect(logger.text()).not.toContain(PASSWORD);
    expect(logger.text()).not.toContain(wrong);
    expect(logged.join('\n')).not.toContain(PASSWORD);
    // The test harness prints URLs without the password too.
    expect(server.url).not.toContain(PASSWORD);
    expect(inspect(server, { depth: 5, showHidden: true })).not.toContain(PASSWORD);
  });
});

describe('TLS verifies certificates and host names unless told not to', () => {
  let server: RedisServer; // its certificate names only DNS:other.invalid
  beforeAll(async () => {
    server = await startRedisServer({ tls: true, tlsHostMismatch: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function outcome(options: Record<string, unknown>): Promise<unknown> {
    const r = new Redis({ address: [server.host, server.port], connectRetry: 0, decoder: 'utf8', ...options });
    try {
      return await r.call('ping').catch((e: unknown) => e);
    } finally {
      await r.close();
    }
  }

  it('refuses an unknown CA, and a trusted certificate for another host name', async () => {
    const unknownCa = await outcome({ socketFactory: 'ssl' });
    expect(unknownCa).toBeInstanceOf(CommunicationError);
    expect(String((unknownCa as Error).message)).toMatch(/certificate|self.signed/i);
    const wrongHost = await outcome({ tls: { ca: server.tls!.ca } });
    expect(wrongHost).toBeInstanceOf(CommunicationError);
    expect(String((wrongHost as Error).message)).toMatch(/altnames|host|IP/i);
    const byUrl = Redis.fromUrl(`rediss://${server.host}:${server.port}?connectRetry=0`);
    expect(await byUrl.call('ping').catch((e: unknown) => e)).toBeInstanceOf(CommunicationError);
    await byUrl.close();
  });

  it('accepts them with rejectUnauthorized: false, or when the expected name is given', async () => {
    expect(await outcome({ tls: { rejectUnauthorized: false } })).toBe('PONG');
    expect(await outcome({ tls: { ca: server.tls!.ca, rejectUnauthorized: false } })).toBe('PONG');
    expect(await outcome({ tls: { ca: server.tls!.ca, servername: 'other.invalid' } })).toBe('PONG');
  });
});
