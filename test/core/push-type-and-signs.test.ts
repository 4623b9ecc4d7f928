/**
 * RESP details a user can observe: a RESP3 push frame read with `attributes: true` says
 * 'Push' (not 'Array'), and numbers with an explicit '+' sign (valid RESP) decode.
 */
import { Redis, RedisValue } from '../../lib/core/index.js';
import { fakeServer, type FakeServer } from '../reliability/support.js';
import { useRedisServer } from '../fixtures.js';

describe('nextMessage({ attributes: true }) on a push connection', () => {
  const server = useRedisServer();

  it.each([false, true])("RESP3: push frames are 'Push' (client attributes default %p)", async (attributes) => {
    await using redis = new Redis({ address: [server.host, server.port], respVersion: 3, attributes });
    await using push = await redis.connection({ push: true });
    await push.call('subscribe', 'news');
    const confirmation = (await push.nextMessage({ attributes: true, decoder: 'utf8' })) as RedisValue<RedisValue[]>;
    expect(confirmation).toBeInstanceOf(RedisValue);
    expect(confirmation.type).toBe('Push');
    expect(confirmation.data.map((v) => v.data)).toEqual(['subscribe', 'news', 1]);

    await redis.call('publish', 'news', 'hello');
    const message = (await push.nextMessage({ attributes: true, decoder: 'utf8' })) as RedisValue<RedisValue[]>;
    expect(message.type).toBe('Push');
    expect(message.data.map((v) => [v.type, v.data])).toEqual([
      ['String', 'message'],
      ['String', 'news'],
      ['String', 'hello'],
    ]);
  });

  it('RESP3: reads without attributes still get plain values', async () => {
    await using redis = new Redis({ address: [server.host, server.port], respVersion: 3 });
    await using push = await redis.connection({ push: true });
    await push.call('subscribe', 'plain');
    expect(await push.nextMessage({ decoder: 'utf8' })).toEqual(['subscribe', 'plain', 1]);
    await redis.call('publish', 'plain', 'x');
    expect(await push.nextMessage()).toEqual([Buffer.from('message'), Buffer.from('plain'), Buffer.from('x')]);
    // A reply that is a map (RESP3) comes back unwrapped too, children included.
    await push.call('unsubscribe', 'plain');
    await push.nextMessage();
    await push.call('hello', '3');
    const hello = (await push.nextMessage({ decoder: 'utf8' })) as Map<string, unknown>;
    expect(hello).toBeInstanceOf(Map);
    expect(hello.get('proto')).toBe(3);
  });

  it("RESP2: there are no push frames, messages are 'Array'", async () => {
    await using redis = new Redis({ address: [server.host, server.port], respVersion: 2 });
    await using push = await redis.connection({ push: true });
    await push.call('subscribe', 'old');
    const confirmation = (await push.nextMessage({ attributes: true })) as RedisValue;
    expect(confirmation.type).toBe('Array');
  });
});

describe('numbers with an explicit plus sign (a fake server; redis-server never sends one)', () => {
  let fake: FakeServer;
  const replies = [':+1\r\n', ':+9223372036854775807\r\n', ':+0\r\n'];
  beforeAll(async () => {
    let next = 0;
    // One reply per command, in order; the client below sends them one at a time.
    fake = await fakeServer((socket) => {
      socket.write(replies[next++ % replies.length]);
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it(':+1 decodes to 1, and the connection stays usable', async () => {
    await using redis = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0 });
    expect(await redis.call('incr', 'a')).toBe(1);
    expect(await redis.call('incr', 'b')).toBe(9223372036854775807n);
    expect(await redis.call('incr', 'c')).toBe(0);
    expect(fake.connections).toBe(1);
  });
});
