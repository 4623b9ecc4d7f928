import { Redis, ReplyError, PipelinedExceptions, RedisValue, ConnectionPoolError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

let redis: Redis;

const server = useRedisServer();
beforeEach(async () => {
  redis = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
  await redis.call('flushall');
});
afterEach(async () => {
  await redis.close();
});

/** How many times the server ran a command, from its own statistics. */
async function commandCount(name: string): Promise<number> {
  const stats = await server.cli('info', 'commandstats');
  const m = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats);
  return m ? Number(m[1]) : 0;
}

describe('simple commands', () => {
  it('sets and gets, including hash-tag keys', async () => {
    expect(await redis.call('set', 'a', 'b')).toBe('OK');
    expect(await redis.call('get', 'a')).toBe('b');
    expect(await redis.call('set', '{a}b', 'c')).toBe('OK');
    expect(await redis.call('get', '{a}b')).toBe('c');
  });

  it('decodes per call and per view', async () => {
    await redis.call('set', 'a', 'b');
    expect(await redis.call('get', 'a', { decoder: null })).toEqual(Buffer.from('b'));
    const raw = new Redis({ address: [server.host, server.port] });
    expect(await raw.call('get', 'a')).toEqual(Buffer.from('b'));
    expect(await raw.modify({ decoder: 'utf8' }).call('get', 'a')).toBe('b');
    expect(await raw.call('get', 'a', { decoder: 'hex' })).toBe('62');
    await raw.close();
  });

  it('modify({ database }) shares the pool but talks to another database', async () => {
    await redis.call('set', 'a', 'b');
    const r1 = redis.modify({ database: 1 });
    expect(await r1.call('get', 'a')).toBeNull();
    await r1.call('set', 'a', 'one');
    expect(await redis.call('get', 'a')).toBe('b');
    expect(await redis.call('get', 'a', { database: 1 })).toBe('one');
    expect(await r1.modify({ database: 0 }).call('get', 'a')).toBe('b');
  });

  it('sends numbers, bigints and binary; INCRBYFLOAT takes a float', async () => {
    expect(await redis.call('incrbyfloat', 'f', 1.5)).toBe('1.5');
    expect(await redis.call('incrby', 'i', 2n ** 40n)).toBe(2 ** 40);
    const bytes = Buffer.from([0, 255, 13, 10, 36]);
    await redis.call('set', 'bin', bytes);
    expect(await redis.call('get', 'bin', { decoder: null })).toEqual(bytes);
    await redis.call('set', 'u8', new Uint8Array([1, 2, 3]));
    expect(await redis.call('strlen', 'u8')).toBe(3);
  });

  it('gives integers outside the safe range as bigint', async () => {
    await redis.call('set', 'big', '9007199254740993');
    expect(await redis.call('incr', 'big')).toBe(9007199254740994n);
  });

  it.each([[true], [['list']], [{ nested: { object: 1 } }, 'x'], [undefined], [null], [NaN], [() => 1]])(
    'rejects %p with a TypeError and sends nothing',
    async (...bad: unknown[]) => {
      await redis.call('ping');
      const before = await commandCount('set');
      await expect(redis.call('set', 'k', ...bad)).rejects.toThrow(TypeError);
      expect(await commandCount('set')).toBe(before);
      expect(await redis.call('exists', 'k')).toBe(0);
    },
  );

  it('rejects an empty command and unknown call options', async () => {
    await expect(redis.call()).rejects.toThrow(TypeError);
    await expect(redis.call('get', 'a', { colour: 'red' })).rejects.toThrow(TypeError);
  });

  it('handles ~280 KB values and ~100 KB keys', async () => {
    const value = 'v'.repeat(280 * 1024);
    const key = 'k'.repeat(100 * 1024);
    await redis.call('set', key, value);
    expect(await redis.call('get', key)).toBe(value);
    expect(await redis.call('strlen', key)).toBe(value.length);
  });

  it('rejects with ReplyError carrying the server text and code', async () => {
    await redis.call('set', 's', 'x');
    const err = await redis.call('lpush', 's', 'y').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).code).toBe('WRONGTYPE');
    expect((err as ReplyError).message).toMatch(/^WRONGTYPE Operation against a key/);
  });

  it('runs EVAL, and again after SCRIPT FLUSH', async () => {
    expect(await redis.call('eval', 'return ARGV[1]', 0, 'hi')).toBe('hi');
    expect(await redis.call('script', 'flush')).toBe('OK');
    expect(await redis.call('eval', 'return KEYS[1]', 1, 'k')).toBe('k');
  });

  it('routes OBJECT HELP and CLIENT LIST (keyless admin commands)', async () => {
    const help = await redis.call('object', 'help');
    expect(Array.isArray(help)).toBe(true);
    expect(await redis.call('client', 'list')).toMatch(/cmd=client/);
  });

  it('lists its endpoint and fans out with endpoint: "masters"', async () => {
    expect(await redis.endpoints()).toEqual([{ address: [server.host, server.port], type: 'master' }]);
    const result = await redis.call('ping', { endpoint: 'masters' });
    expect(result).toEqual(new Map([[`${server.host}:${server.port}`, 'PONG']]));
    expect(await redis.call('echo', 'x', { endpoint: `${server.host}:${server.port}` })).toBe('x');
  });

  it('refuses commands that would break the shared connection', async () => {
    for (const cmd of [['multi'], ['exec'], ['watch', 'a'], ['subscribe', 'c'], ['monitor'], ['select', '1'], ['client', 'reply', 'off']]) {
      await expect(redis.call(...cmd)).rejects.toThrow(TypeError);
    }
    expect(await redis.call('ping')).toBe('PONG');
  });

  it('lets AUTH be called directly (the server decides)', async () => {
    await expect(redis.call('auth', 'nopass')).rejects.toThrow(/AUTH|password/);
    expect(await redis.call('ping')).toBe('PONG');
  });
});

describe('pipeline', () => {
  it('returns results in order', async () => {
    expect(await redis.pipeline([['set', 'x', '1'], ['incr', 'x'], ['get', 'x']])).toEqual(['OK', 2, '2']);
    expect(await redis.pipeline([])).toEqual([]);
  });

  it('rejects with PipelinedExceptions holding every result', async () => {
    await redis.call('set', 's', 'x');
    const err = (await redis.pipeline([['get', 's'], ['lpush', 's', '1'], ['get', 's']]).catch((e: unknown) => e)) as PipelinedExceptions;
    expect(err).toBeInstanceOf(PipelinedExceptions);
    expect(err.results[0]).toBe('x');
    expect(err.results[1]).toBeInstanceOf(ReplyError);
    expect(err.results[2]).toBe('x');
  });

  it('takes per-command decoders and a database', async () => {
    await redis.call('set', 'a', 'b', { database: 2 });
    expect(await redis.pipeline([['get', 'a'], ['get', 'a', { decoder: null }]], { database: 2 })).toEqual(['b', Buffer.from('b')]);
  });

  it('validates every command before sending any', async () => {
    const before = await commandCount('set');
    await expect(redis.pipeline([['set', 'p', '1'], ['set', 'q', true] as never])).rejects.toThrow(TypeError);
    await expect(redis.pipeline('nope' as never)).rejects.toThrow(TypeError);
    await expect(redis.pipeline([['multi'], ['exec']])).rejects.toThrow(TypeError);
    expect(await commandCount('set')).toBe(before);
  });

  it('sends a 1000-command pipeline in one piece', async () => {
    const cmds = Array.from({ length: 1000 }, (_, i) => ['set', `p${i}`, String(i)]);
    const results = await redis.pipeline(cmds);
    expect(results).toHaveLength(1000);
    expect(await redis.call('get', 'p999')).toBe('999');
  });
});

describe('RESP3 and attributes', () => {
  it('maps RESP3 types from real replies', async () => {
    const r3 = new Redis({ address: [server.host, server.port], respVersion: 3, decoder: 'utf8' });
    await r3.call('hset', 'h', 'f', 'v');
    expect(await r3.call('hgetall', 'h')).toEqual(new Map([['f', 'v']]));
    await r3.call('sadd', 's', 'm');
    expect(await r3.call('smembers', 's')).toEqual(new Set(['m']));
    await r3.call('zadd', 'z', 1.5, 'a');
    expect(await r3.call('zscore', 'z', 'a')).toBe(1.5);
    expect(await r3.call('hello', { endpoint: 'masters' }).catch(() => 'refused')).toBeDefined();
    await r3.close();
  });

  it('negotiates with respVersion -1', async () => {
    const r = new Redis({ address: [server.host, server.port], respVersion: -1, decoder: 'utf8' });
    await r.call('hset', 'h', 'f', 'v');
    expect(await r.call('hgetall', 'h')).toBeInstanceOf(Map);
    await r.close();
  });

  it('wraps values with their type when attributes: true (attrs null on RESP2)', async () => {
    await redis.call('hset', 'h', 'f', 'v');
    const v = (await redis.call('hgetall', 'h', { attributes: true })) as RedisValue<RedisValue[]>;
    expect(v).toBeInstanceOf(RedisValue);
    expect(v.type).toBe('Array');
    expect(v.attrs).toBeNull();
    expect(v.data.map((x) => x.data)).toEqual(['f', 'v']);
    expect(v.data[0].type).toBe('String');
  });
});

describe('custom commands', () => {
  class Commands {
    constructor(private readonly base: Redis) {}
    get(key: string) {
      return this.base.call('get', key);
    }
    set(key: string, value: string) {
      return this.base.call('set', key, value);
    }
  }

  it('exposes the methods, typed, on the client and its views', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8', customCommandClass: Commands });
    await r.set('hi', 'there');
    expect(await r.get('hi')).toBe('there');
    const r1 = r.modify({ database: 1 });
    expect(await r1.get('hi')).toBeNull();
    await r.close();
  });
});

describe('close', () => {
  it('settles every call in flight and refuses new ones', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    const calls = Array.from({ length: 2000 }, (_, i) => r.call('echo', String(i)));
    await r.close();
    const settled = await Promise.allSettled(calls);
    // Each call settled: with its own reply (never another caller's) or a client-side error.
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') expect(s.value).toBe(String(i));
      else expect(s.reason).toBeInstanceOf(Error);
    });
    await expect(r.call('ping')).rejects.toThrow(ConnectionPoolError);
  });

  it('works with await using', async () => {
    let closed: Redis;
    {
      await using r = new Redis({ address: [server.host, server.port] });
      closed = r;
      await r.call('ping');
    }
    expect(closed.closed).toBe(true);
  });
});
