/**
 * Every wait is bounded, and every bound is one Node can keep: durations are finite and
 * below 2^31 ms (Node turns larger timer delays into 1 ms), counts are finite. Detection of
 * the server kind ('auto') is bounded by `connectTimeout`, and `close()` interrupts it and
 * any connect retry loop in progress.
 */
import net from 'node:net';
import { jest } from '@jest/globals';
import { once } from 'node:events';
import { freePort } from '../../lib/testing/free-port.js';
import { Redis, CommunicationError, ConnectionPoolError } from '../../lib/core/index.js';
import { fakeServer, within, type FakeServer } from '../reliability/support.js';
import { eventually } from '../helpers.js';
import { useRedisServer } from '../fixtures.js';

const MAX = 2 ** 31 - 1;
const realSetTimeout = globalThis.setTimeout;

/** The error `fn` throws or its promise rejects with. */
async function refusal(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('options: durations and counts must be finite and below 2^31 ms', () => {
  const durations = ['connectTimeout', 'socketTimeout', 'waitTimeout', 'tcpKeepalive'] as const;
  it.each(durations.flatMap((name) => [Infinity, 2 ** 31, 1e12].map((v) => [name, v] as const)))('%s: %p is a RangeError', (name, value) => {
    expect(() => new Redis({ [name]: value, address: ['127.0.0.1', 1] })).toThrow(RangeError);
  });

  it.each(durations)('%s: 2^31-1 ms is accepted', async (name) => {
    const r = new Redis({ [name]: MAX, address: ['127.0.0.1', 1] });
    await r.close();
  });

  it.each([
    ['connectRetry', Infinity],
    ['connectRetry', 2 ** 31],
    ['database', Infinity],
    ['maxRedirections', Infinity],
    ['cutoffSize', Infinity],
    ['maxBulkLength', Infinity],
    ['socketTimeout', -Infinity],
  ] as const)('%s: %p is a RangeError', (name, value) => {
    expect(() => new Redis({ [name]: value, address: ['127.0.0.1', 1] })).toThrow(RangeError);
  });

  it('clientSideCache ttl and maxEntries are bounded too', () => {
    expect(() => new Redis({ clientSideCache: { ttl: Infinity } })).toThrow(RangeError);
    expect(() => new Redis({ clientSideCache: { ttl: 2 ** 31 } })).toThrow(RangeError);
    expect(() => new Redis({ clientSideCache: { maxEntries: Infinity } })).toThrow(RangeError);
  });

  it('maxConnections: Infinity is its documented default ("unlimited") and stays accepted', async () => {
    const r = new Redis({ maxConnections: Infinity, address: ['127.0.0.1', 1] });
    await r.close();
  });

  it.each([
    'redis://h?connectTimeout=Infinity',
    'redis://h?socketTimeout=2147483648',
    'redis://h?wait_timeout=1e12',
    'redis://h?connectRetry=Infinity',
    'redis://h?db=Infinity',
    'redis://h/99999999999',
  ])('URL %s is a RangeError', (url) => {
    expect(() => Redis.fromUrl(url)).toThrow(RangeError);
  });
});

describe('per-call, modify() and connection() settings', () => {
  let fake: FakeServer;
  let redis: Redis;
  beforeAll(async () => {
    fake = await fakeServer(() => {});
    redis = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0 });
  });
  afterAll(async () => {
    await redis.close();
    await fake.close();
  });

  it.each([Infinity, -Infinity, 2 ** 31, 1.5])('{ database: %p } is a RangeError everywhere, and nothing is sent', async (database) => {
    expect(await refusal(() => redis.call('get', 'k', { database }))).toBeInstanceOf(RangeError);
    expect(await refusal(() => redis.pipeline([['get', 'k']], { database }))).toBeInstanceOf(RangeError);
    expect(await refusal(() => redis.modify({ database }))).toBeInstanceOf(RangeError);
    expect(await refusal(() => redis.connection({ database }))).toBeInstanceOf(RangeError);
    expect(fake.connections).toBe(0);
  });
});

describe('nextMessage({ timeout })', () => {
  const server = useRedisServer();

  it('Infinity, 2^31 and negative timeouts are RangeErrors; 2^31-1 is accepted', async () => {
    await using redis = new Redis({ address: [server.host, server.port] });
    await using push = await redis.connection({ push: true });
    for (const timeout of [Infinity, 2 ** 31, -1, NaN]) {
      expect(await refusal(() => push.nextMessage({ timeout }))).toBeInstanceOf(RangeError);
    }
    // A valid long wait: it is pending (no 1 ms overflow firing at once), until a message comes.
    const waiting = push.nextMessage({ timeout: MAX, decoder: 'utf8' });
    await push.call('subscribe', 'bounds');
    expect(await waiting).toEqual(['subscribe', 'bounds', 1]);
  });
});

describe("poolFactory 'auto' against a server that accepts and never answers", () => {
  let silent: FakeServer;
  let infoSent: Promise<void>;
  beforeEach(async () => {
    let sawInfo!: () => void;
    infoSent = new Promise((resolve) => (sawInfo = resolve));
    silent = await fakeServer((_socket, data) => {
      if (data.toString('latin1').toUpperCase().includes('INFO')) sawInfo();
    });
  });
  afterEach(async () => {
    await silent.close();
  });

  it('detection is bounded by connectTimeout: the first call fails with ERR_CONNECT_TIMEOUT', async () => {
    const redis = new Redis({ address: silent.address, connectTimeout: 300, connectRetry: 0 });
    const error = await within(refusal(() => redis.call('get', 'k')), 10_000, 'the first call');
    expect(error).toBeInstanceOf(CommunicationError);
    expect(error).toMatchObject({ code: 'ERR_CONNECT_TIMEOUT' });
    expect(String((error as Error).message)).toMatch(/INFO/);
    await within(redis.close(), 5_000, 'close');
    // The detection connection was closed by the client.
    await within(silent.closed(1), 5_000, 'detection socket closed');
  });

  it('close() does not wait for detection (no connectTimeout set), and the waiting call fails as closed', async () => {
    const redis = new Redis({ address: silent.address });
    const call = refusal(() => redis.call('get', 'k'));
    await infoSent;
    await within(redis.close(), 5_000, 'close during detection');
    const error = await call;
    expect(error).toBeInstanceOf(ConnectionPoolError);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await within(silent.closed(1), 5_000, 'detection socket closed');
  });
});

/** A server that accepts and hangs up at once, counting connections. */
async function hangUpServer(): Promise<{ address: [string, number]; readonly connections: number; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    address: ['127.0.0.1', port],
    get connections() {
      return connections;
    },
    async close() {
      const done = once(server, 'close');
      server.close();
      await done;
    },
  };
}

describe('close() interrupts a connect retry loop', () => {
  // The AUTH of the handshake meets a closed socket, so every attempt is an I/O failure and
  // the client keeps retrying (50 retries: over a minute of backoff).
  let hangUp: Awaited<ReturnType<typeof hangUpServer>>;
  beforeEach(async () => {
    hangUp = await hangUpServer();
  });
  afterEach(async () => {
    await hangUp.close();
  });

  it.each(['auto', 'pool'] as const)("poolFactory '%s', call(): close() settles at once, the call fails as closed, no retry goes on", async (poolFactory) => {
    const redis = new Redis({ address: hangUp.address, password: 'pw', connectRetry: 50, poolFactory });
    const call = refusal(() => redis.call('get', 'k'));
    // At least one retry has happened: the loop is in its backoff or its next attempt.
    await eventually(() => hangUp.connections >= 2, 10_000);
    await within(redis.close(), 5_000, 'close during the retry loop');
    const error = await within(call, 5_000, 'the waiting call');
    expect(error).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    expect(String((error as Error).message)).toMatch(/client is closed/i);
    // The loop itself stopped. A loop still running would be back within its backoff
    // ceiling (2 s at most); absence has no event to wait on, so this one waits past it.
    const seen = hangUp.connections;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(hangUp.connections).toBe(seen);
  });

  it('connection(): close() settles at once and the borrower fails as closed', async () => {
    const redis = new Redis({ address: hangUp.address, password: 'pw', connectRetry: 50, poolFactory: 'pool' });
    const taking = refusal(() => redis.connection());
    await eventually(() => hangUp.connections >= 2, 10_000);
    await within(redis.close(), 5_000, 'close during the retry loop');
    expect(await within(taking, 5_000, 'connection()')).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });

  it('a refused port (the issue repro): close() settles at once', async () => {
    const port = await freePort();
    const redis = new Redis({ address: ['127.0.0.1', port], connectRetry: 50 });
    const call = refusal(() => redis.call('get', 'k'));
    await within(redis.close(), 5_000, 'close during the retry loop');
    expect(await within(call, 5_000, 'the waiting call')).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });
});

describe('socketTimeout stretched by a very long blocking command', () => {
  it('BLPOP with a timeout past 2^31 ms arms no timer Node would overflow to 1 ms', async () => {
    // Watch every delay handed to setTimeout: one above 2^31-1 becomes a 1 ms timer
    // (a TimeoutOverflowWarning and a 1 ms polling loop for the whole block).
    const delays: number[] = [];
    const spy = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...rest: unknown[]) => {
      delays.push(ms ?? 0);
      return realSetTimeout(fn, ms, ...(rest as []));
    }) as typeof setTimeout);
    let received!: () => void;
    const commandArrived = new Promise<void>((resolve) => (received = resolve));
    const silent = await fakeServer((_socket, data) => {
      if (data.toString('latin1').toUpperCase().includes('BLPOP')) received();
    });
    const redis = new Redis({ address: silent.address, poolFactory: 'pool', socketTimeout: 1_000, connectRetry: 0 });
    try {
      // 10^8 s = 10^11 ms on top of socketTimeout: far past what a Node timer holds.
      const blocked = refusal(() => redis.call('blpop', 'q', 100_000_000));
      // The reply timer is armed when the command is written, before the server reads it.
      await commandArrived;
      expect(delays.length).toBeGreaterThan(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(MAX);
      await redis.close();
      expect(await blocked).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    } finally {
      spy.mockRestore();
      await redis.close();
      await silent.close();
    }
  });
});
