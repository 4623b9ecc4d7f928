import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { startFaultProxy } from '../../lib/testing/fault-proxy.js';
import { eventually } from '../helpers.js';
import { Redis, CommunicationError, type PushConnection } from '../../lib/core/index.js';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis({ address: server.address, decoder: 'utf8' });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});
beforeEach(async () => {
  await admin.call('flushall');
});

/** Resolves with the error a push connection ended with. */
function ended(p: PushConnection): Promise<Error> {
  return new Promise((resolve) => p.onClose(resolve));
}

/** Calls of one command since the last CONFIG RESETSTAT (e.g. 'auth', 'client|setname'). */
async function calls(name: string): Promise<number> {
  const stats = await server.cli('info', 'commandstats');
  return Number(new RegExp(`cmdstat_${name.replace('|', '\\|')}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

/** `CLIENT INFO` fields of a connection, as a record. */
function clientInfo(line: string): Record<string, string> {
  return Object.fromEntries(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('push connections give their pool slot back', () => {
  it.each(['lost', 'lost then closed'])('a push connection %s frees its slot (maxConnections 2, repeated losses)', async (how) => {
    const redis = new Redis({ address: server.address, maxConnections: 2, waitTimeout: 2000 });
    try {
      for (let round = 0; round < 4; round++) {
        const p = await redis.connection({ push: true });
        await p.call('subscribe', `lost-${round}`);
        await p.nextMessage();
        const end = ended(p);
        await admin.call('client', 'kill', 'type', 'pubsub');
        expect(await end).toBeInstanceOf(CommunicationError);
        if (how === 'lost then closed') await p.close();
      }
      // Both slots are free: two exclusive connections at once, neither times out.
      const a = await redis.connection();
      const b = await redis.connection();
      expect(await a.call('ping')).toEqual(Buffer.from('PONG'));
      await a.release();
      await b.release();
    } finally {
      await redis.close();
    }
  });

  it('the RESP2 client-side-cache redirect connection frees its slot on loss and tracking is re-established', async () => {
    const redis = new Redis({ address: server.address, decoder: 'utf8', respVersion: 2, clientSideCache: true, maxConnections: 2, waitTimeout: 2000 });
    try {
      await admin.call('set', 'k', 'v1');
      await redis.call('get', 'k');
      await eventually(async () => {
        await redis.call('get', 'k');
        expect(redis.clientSideCacheStats().hits).toBeGreaterThan(0);
      });
      for (let round = 0; round < 4; round++) {
        const before = (await admin.call('client', 'list', 'type', 'pubsub')) as string;
        expect(before).toContain('sub=1');
        await admin.call('client', 'kill', 'type', 'pubsub');
        // A new redirect connection replaces the killed one.
        await eventually(async () => {
          const list = (await admin.call('client', 'list', 'type', 'pubsub')) as string;
          expect(list).toContain('sub=1');
          expect(list).not.toBe(before);
        });
      }
      // Slots were given back: two exclusive connections besides the redirect one would exceed 2 if any leaked.
      const a = await redis.connection();
      await a.release();
      // The cache serves again, and the server's invalidations reach it through the new redirect.
      await expectCacheServesAndSeesInvalidation(redis);
    } finally {
      await redis.close();
    }
  });
});

/** The cache answers `k` from memory again (hits grow), and another client's write reaches it through the redirect. */
async function expectCacheServesAndSeesInvalidation(redis: Redis): Promise<void> {
  const hits = redis.clientSideCacheStats().hits;
  await eventually(async () => {
    expect(await redis.call('get', 'k')).toBe('v1');
    expect(redis.clientSideCacheStats().hits).toBeGreaterThan(hits);
  });
  await admin.call('set', 'k', 'v2');
  await eventually(async () => expect(await redis.call('get', 'k')).toBe('v2'));
}

describe('the client-side cache keeps trying to re-establish its RESP2 redirect', () => {
  it('after a failed attempt (no free slot within waitTimeout), a later one succeeds and the cache serves again', async () => {
    const redis = new Redis({ address: server.address, decoder: 'utf8', respVersion: 2, clientSideCache: true, maxConnections: 1, waitTimeout: 1000 });
    try {
      await admin.call('set', 'k', 'v1');
      await eventually(async () => {
        await redis.call('get', 'k');
        expect(redis.clientSideCacheStats().hits).toBeGreaterThan(0);
      });
      // Queue for the only slot (held by the redirect connection), then kill the redirect: the slot goes to this borrower.
      const waiting = redis.connection();
      await admin.call('client', 'kill', 'type', 'pubsub');
      const c = await waiting;
      // Held past the redirect's own waitTimeout (a server-side block): its first attempts fail.
      expect(await c.call('blpop', 'never', 2)).toBeNull();
      await c.release();
      await expectCacheServesAndSeesInvalidation(redis);
    } finally {
      await redis.close();
    }
  });
});

describe('push connections with socketTimeout ping when idle', () => {
  it('stays open while the server answers its keepalive PINGs, without showing them', async () => {
    // 300 ms: room for a loaded machine's event-loop delay before a pong counts as missing.
    const redis = new Redis({ address: server.address, decoder: 'utf8', socketTimeout: 300 });
    try {
      const p = await redis.connection({ push: true });
      await p.call('subscribe', 'quiet');
      expect(await p.nextMessage()).toEqual(['subscribe', 'quiet', 1]);
      const pings = await calls('ping');
      // Several socketTimeouts of silence from the publisher side.
      expect(await p.nextMessage({ timeout: 1500 })).toBeNull();
      expect(p.closed).toBe(false);
      expect(await calls('ping')).toBeGreaterThan(pings);
      await admin.call('publish', 'quiet', 'still here');
      expect(await p.nextMessage()).toEqual(['message', 'quiet', 'still here']);
      await p.close();
    } finally {
      await redis.close();
    }
  });

  it.each([2, 3] as const)('is declared lost when a silent server does not answer within socketTimeout (RESP%i)', async (respVersion) => {
    const proxy = await startFaultProxy({ target: [server.host, server.port] });
    const redis = new Redis({ address: proxy.address, socketTimeout: 200, respVersion });
    try {
      const p = await redis.connection({ push: true });
      await p.call('subscribe', 'dead-link');
      await p.nextMessage();
      const end = ended(p);
      proxy.blackhole(true);
      const error = await end;
      expect(error).toBeInstanceOf(CommunicationError);
      expect((error as CommunicationError).code).toBe('ERR_SOCKET_TIMEOUT');
      await expect(p.nextMessage()).rejects.toBe(error);
    } finally {
      proxy.blackhole(false);
      await redis.close();
      await proxy.close();
    }
  });
});

describe('refusals on the shared path', () => {
  const refused: unknown[][] = [
    ['auth', 'someone', 'pw'],
    ['auth', 'pw'],
    ['client', 'tracking', 'off'],
    ['CLIENT', 'SETNAME', 'x'],
    ['client', 'no-evict', 'on'],
    ['client', 'no-touch', 'on'],
    ['client', 'reply', 'off'],
    ['hello', '3'],
    ['hello', '2', 'setname', 'x'],
    ['reset'],
    ['quit'],
    ['select', '1'],
    ['multi'],
    ['watch', 'k'],
    ['subscribe', 'c'],
  ];
  let redis: Redis;
  beforeEach(async () => {
    redis = new Redis({ address: server.address, decoder: 'utf8', clientName: 'shared' });
    await redis.call('ping');
    await admin.call('config', 'resetstat');
  });
  afterEach(async () => {
    await redis.close();
  });

  it.each(refused.map((c) => [c.join(' '), c]))('call(%s) rejects with a TypeError and sends nothing', async (_, command) => {
    const error = await redis.call(...(command as unknown[])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    // The message names the command, never its arguments (AUTH's password).
    expect((error as Error).message).not.toMatch(/\bpw\b/);
    await expect(redis.pipeline([['ping'], command as unknown[]])).rejects.toThrow(TypeError);
    const name = String((command as unknown[])[0]).toLowerCase();
    const sub = name === 'client' ? `client|${String((command as unknown[])[1]).toLowerCase()}` : name;
    expect(await calls(sub)).toBe(0);
    expect(await calls('ping')).toBe(0);
    // The shared connection is still what was configured.
    const info = clientInfo((await redis.call('client', 'info')) as string);
    expect([info.name, info.db, info.user, info.resp]).toEqual(['shared', '0', 'default', '2']);
  });

  it('bare HELLO (server info) is allowed', async () => {
    const hello = (await redis.call('hello')) as unknown[];
    expect(hello).toContain('server');
    expect(hello).toContain('redis');
    expect(await redis.pipeline([['hello']])).toHaveLength(1);
  });
});

describe('blocking commands never stall the shared connection', () => {
  let redis: Redis;
  beforeEach(() => {
    redis = new Redis({ address: server.address, decoder: 'utf8' });
  });
  afterEach(async () => {
    await redis.close();
  });

  it.each([
    ['{ endpoint }', () => ({ endpoint: `${server.host}:${server.port}` })],
    ["endpoint: 'masters'", () => ({ endpoint: 'masters' })],
  ])('BLPOP with %s runs on an exclusive connection', async (_, options) => {
    const popped = redis.call('blpop', 'q', 0, options());
    // On the shared connection this GET would wait behind the BLPOP forever.
    expect(await redis.call('echo', 'not stalled', options())).toEqual(options().endpoint === 'masters' ? new Map([[`${server.host}:${server.port}`, 'not stalled']]) : 'not stalled');
    await admin.call('rpush', 'q', 'item');
    const result = await popped;
    expect(result instanceof Map ? [...result.values()][0] : result).toEqual(['q', 'item']);
  });

  // socketTimeout 500 ms < BLPOP's 1 s: without the extra time the BLPOP fails; with it, 500 ms of
  // slack for a loaded machine's event-loop delay.
  it('a blocking command in pipeline() gets its extra time under socketTimeout', async () => {
    const r = new Redis({ address: server.address, decoder: 'utf8', socketTimeout: 500 });
    try {
      // BLPOP may legitimately wait its 1 s: no ERR_SOCKET_TIMEOUT.
      expect(await r.pipeline([['ping'], ['blpop', 'slow', 1]])).toEqual(['PONG', null]);
    } finally {
      await r.close();
    }
  });

  it('a blocking command in Connection.pipeline gets its extra time under socketTimeout', async () => {
    const r = new Redis({ address: server.address, decoder: 'utf8', socketTimeout: 500 });
    try {
      await using c = await r.connection();
      expect(await c.pipeline([['ping'], ['blpop', 'slow', 1]])).toEqual(['PONG', null]);
    } finally {
      await r.close();
    }
  });
});

describe('a taken connection behaves as a plain socket and comes back clean', () => {
  let redis: Redis;
  beforeEach(() => {
    // One slot: every borrower gets the same socket back, so any leftover state would show.
    redis = new Redis({ address: server.address, decoder: 'utf8', maxConnections: 1, clientName: 'configured' });
  });
  afterEach(async () => {
    await redis.close();
  });

  async function nextBorrowerInfo(): Promise<Record<string, string>> {
    await using c = await redis.connection();
    return clientInfo((await c.call('client', 'info')) as string);
  }

  it('SELECT then SET writes to the selected database (no SELECT slipped in)', async () => {
    await using c = await redis.connection();
    expect(await c.call('select', 1)).toBe('OK');
    expect(await c.call('set', 'k', 'x')).toBe('OK');
    expect(await admin.call('get', 'k', { database: 1 })).toBe('x');
    expect(await admin.call('exists', 'k')).toBe(0);
  });

  it('MULTI; SELECT 1; SET; EXEC returns what redis returns and writes to db 1', async () => {
    const c = await redis.connection();
    expect(await c.call('multi')).toBe('OK');
    expect(await c.call('select', 1)).toBe('QUEUED');
    expect(await c.call('set', 'k', 'y')).toBe('QUEUED');
    expect(await c.call('exec')).toEqual(['OK', 'OK']);
    expect(await admin.call('get', 'k', { database: 1 })).toBe('y');
    expect(clientInfo((await c.call('client', 'info')) as string).db).toBe('1');
    await c.release();
    expect((await nextBorrowerInfo()).db).toBe('0');
  });

  it('a SELECT queued in MULTI and DISCARDed changes nothing', async () => {
    const c = await redis.connection();
    await c.call('select', 2);
    await c.call('multi');
    await c.call('select', 5);
    expect(await c.call('discard')).toBe('OK');
    expect(clientInfo((await c.call('client', 'info')) as string).db).toBe('2');
    await c.release();
    expect((await nextBorrowerInfo()).db).toBe('0');
  });

  it.each([
    ['reset', ['reset']],
    ['hello 3', ['hello', '3']],
    ['client setname', ['client', 'setname', 'other']],
  ])('after %s, the next borrower sees the configured state', async (_, command) => {
    const c = await redis.connection();
    await c.call(...command);
    await c.release();
    const info = await nextBorrowerInfo();
    expect([info.name, info.db, info.resp, info.user]).toEqual(['configured', '0', '2', 'default']);
    const again = await redis.connection();
    // RESP2 replies, not RESP3 maps.
    expect(await again.call('config', 'get', 'maxmemory')).toEqual(['maxmemory', '0']);
    await again.release();
  });

  it('CLIENT REPLY is refused on a Connection (replies would reach the wrong caller)', async () => {
    await using c = await redis.connection();
    await expect(c.call('client', 'reply', 'off')).rejects.toThrow(TypeError);
    await expect(c.pipeline([['client', 'reply', 'skip']])).rejects.toThrow(TypeError);
    expect(await c.call('echo', 'in step')).toBe('in step');
  });

  it('connection({ database }) starts there; a database call option is refused (use SELECT)', async () => {
    await using c = await redis.connection({ database: 3 });
    expect(clientInfo((await c.call('client', 'info')) as string).db).toBe('3');
    await expect(c.call('get', 'k', { database: 1 })).rejects.toThrow(TypeError);
    expect(() => c.modify({ database: 1 })).toThrow(TypeError);
  });
});
