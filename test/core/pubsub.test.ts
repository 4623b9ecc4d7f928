import { Redis, CommunicationError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

const server = useRedisServer();

describe.each([2, 3] as const)('push connections over RESP%i', (respVersion) => {
  let redis: Redis;
  beforeEach(() => {
    redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion });
  });
  afterEach(async () => {
    await redis.close();
  });

  it('subscribes, times out, and receives published messages', async () => {
    const p = await redis.connection({ push: true });
    await p.call('subscribe', 'hello');
    expect(await p.nextMessage()).toEqual(['subscribe', 'hello', 1]);
    expect(await p.nextMessage({ timeout: 50 })).toBeNull();
    await redis.call('publish', 'hello', ', World !');
    expect(await p.nextMessage()).toEqual(['message', 'hello', ', World !']);
    await p.close();
  });

  it('answers PING in subscribe mode as a message', async () => {
    await using p = await redis.connection({ push: true });
    await p.call('subscribe', 'a');
    await p.nextMessage();
    await p.call('ping');
    const pong = await p.nextMessage();
    expect(respVersion === 2 ? pong : [pong].flat()).toEqual(respVersion === 2 ? ['pong', ''] : ['PONG']);
  });

  it('decodes per nextMessage without losing buffered bytes', async () => {
    await using p = await redis.connection({ push: true });
    await p.call('psubscribe', 'news.*');
    await p.nextMessage();
    await redis.call('publish', 'news.a', Buffer.from([0xff, 0x00]));
    await redis.call('publish', 'news.b', 'text');
    const raw = await p.nextMessage({ decoder: null });
    expect(raw[3]).toEqual(Buffer.from([0xff, 0x00]));
    expect(raw[0]).toEqual(Buffer.from('pmessage'));
    expect(await p.nextMessage()).toEqual(['pmessage', 'news.*', 'news.b', 'text']);
  });

  it('iterates with for await, ending cleanly on close()', async () => {
    const p = await redis.connection({ push: true });
    await p.call('subscribe', 'it');
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const msg of p) {
        seen.push(msg);
        if (seen.length === 3) await p.close();
      }
    })();
    await redis.call('publish', 'it', '1');
    await redis.call('publish', 'it', '2');
    await loop;
    expect(seen).toEqual([
      ['subscribe', 'it', 1],
      ['message', 'it', '1'],
      ['message', 'it', '2'],
    ]);
  });

  it('tells a reader that the connection was lost', async () => {
    const p = await redis.connection({ push: true });
    await p.call('subscribe', 'lost');
    await p.nextMessage();
    const ended = new Promise<Error>((resolve) => p.onClose(resolve));
    const waiting = expect(p.nextMessage()).rejects.toThrow(CommunicationError);
    await redis.call('client', 'kill', 'type', 'pubsub');
    await waiting;
    expect(await ended).toBeInstanceOf(CommunicationError);
    expect(p.closed).toBe(true);
  });

  it('gives its pool slot back when the connection is lost', async () => {
    await using small = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion, maxConnections: 1, waitTimeout: 2000 });
    const p = await small.connection({ push: true });
    await p.call('subscribe', 'slot');
    await p.nextMessage();
    const ended = new Promise<Error>((resolve) => p.onClose(resolve));
    await redis.call('client', 'kill', 'type', 'pubsub');
    await ended;
    // The only slot is free again: without the fix this waits out waitTimeout and rejects.
    await using again = await small.connection({ push: true });
    await again.call('subscribe', 'slot');
    expect(await again.nextMessage()).toEqual(['subscribe', 'slot', 1]);
  });
});

it('never takes a RESP3 push frame on a normal connection for a reply', async () => {
  const r = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion: 3 });
  const other = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
  await using c = await r.connection();
  // Tracking makes the server push "invalidate" frames onto this very connection.
  await c.call('client', 'tracking', 'on');
  await c.call('set', 'tracked', '1');
  for (let i = 0; i < 20; i++) {
    await c.call('get', 'tracked');
    await other.call('set', 'tracked', String(i));
    expect(await c.call('echo', `reply-${i}`)).toBe(`reply-${i}`);
  }
  await other.close();
  await r.close();
});
