/**
 * Read-your-writes with client-side caching: once a write through the client resolves, the
 * client's next read returns the written value, never the cached one — for every key the
 * write may change (from the server's command table, not just the first argument), for
 * scripts (the keys they declare), and for writes on an exclusive connection of the same
 * client, transactions included. The client talks through a proxy that holds back the
 * server's invalidations by 100 ms (RESP2: the invalidation connection; RESP3: the tracked
 * connections, replies included), so the read, issued at once after the write, cannot be
 * rescued by the invalidation. Under RESP3 the server sends the invalidation of a write on
 * the shared connection before its reply: those cases hold even without the client's help,
 * the exclusive-connection cases do not.
 */
import { Redis } from '../../lib/core/index.js';
import { eventually } from '../helpers.js';
import { useRedisServer } from '../fixtures.js';
import { startInvalidationDelayProxy, type InvalidationDelayProxy } from '../invalidation-delay-proxy.js';

const server = useRedisServer();

const LIBRARY = "#!lua name=ryw\nredis.register_function('setkey', function(keys, args) return redis.call('set', keys[1], args[1]) end)";

describe.each([2, 3] as const)('read-your-writes with client-side caching over RESP%i', (respVersion) => {
  let redis: Redis;
  let other: Redis;
  let proxy: InvalidationDelayProxy;
  beforeAll(async () => {
    proxy = await startInvalidationDelayProxy([server.host, server.port], [respVersion === 2 ? '__redis__:invalidate' : 'TRACKING']);
    proxy.delayMs = () => 100;
  });
  afterAll(() => proxy.close());
  beforeEach(async () => {
    other = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    await other.call('flushall');
    await other.call('function', 'load', 'replace', LIBRARY);
    redis = new Redis({ address: proxy.address, decoder: 'utf8', respVersion, clientSideCache: true });
  });
  afterEach(async () => {
    await redis.close();
    await other.close();
  });

  /** A reply as comparable text (RESP3 sets as sorted arrays). */
  const shown = (reply: unknown) => JSON.stringify(reply instanceof Set ? [...reply].sort() : reply);

  /** Reads `command` until its reply is `value` and comes from the cache (tracking is set up by then). */
  async function cached(command: string[], value: unknown): Promise<void> {
    await eventually(async () => {
      if (shown(await redis.call(...command)) !== shown(value)) return false;
      const hits = redis.clientSideCacheStats().hits;
      return shown(await redis.call(...command)) === shown(value) && redis.clientSideCacheStats().hits === hits + 1;
    });
  }

  let keys = 0;
  /**
   * Caches `GET k` = 'old' for a key `k` never used before (so no late invalidation of an
   * earlier step can empty it), runs `write(k)`, and reads k at once.
   */
  async function readAfter(write: (k: string) => Promise<unknown>): Promise<unknown> {
    const k = `k${++keys}`;
    await other.call('set', k, 'old');
    await cached(['get', k], 'old');
    await write(k);
    return redis.call('get', k);
  }

  it('EVAL (and the EVALSHA it becomes) drops the keys the script declares', async () => {
    const script = "return redis.call('set', KEYS[1], ARGV[1])";
    expect(await readAfter((k) => redis.call('eval', script, 1, k, 'new'))).toBe('new');
    // The second time the script cache sends EVALSHA.
    expect(await readAfter((k) => redis.call('eval', script, 1, k, 'new2'))).toBe('new2');
  });

  it('EVALSHA and FCALL drop their declared keys', async () => {
    const sha = await redis.call('script', 'load', "return redis.call('set', KEYS[1], ARGV[1])");
    expect(await readAfter((k) => redis.call('evalsha', sha, 1, k, 'new'))).toBe('new');
    expect(await readAfter((k) => redis.call('fcall', 'setkey', 1, k, 'by-function'))).toBe('by-function');
  });

  it('RENAME drops both keys', async () => {
    await other.call('set', 'src', 'moved');
    await cached(['get', 'src'], 'moved');
    expect(await readAfter((k) => redis.call('rename', 'src', k))).toBe('moved');
    expect(await redis.call('get', 'src')).toBeNull();
  });

  it('MSET, DEL and UNLINK drop every key, not only the first', async () => {
    expect(await readAfter((k) => redis.call('mset', 'a', '1', k, 'new'))).toBe('new');
    expect(await readAfter((k) => redis.call('del', 'a', k))).toBeNull();
    expect(await readAfter((k) => redis.call('unlink', 'a', k))).toBeNull();
  });

  it('COPY, SMOVE, LMOVE and SORT ... STORE drop their destination', async () => {
    await other.call('set', 'src', 'copied');
    expect(await readAfter((k) => redis.call('copy', 'src', k, 'replace'))).toBe('copied');

    await other.call('sadd', 'from', 'x');
    await other.call('sadd', 'to', 'y');
    await cached(['smembers', 'to'], ['y']);
    await redis.call('smove', 'from', 'to', 'x');
    expect([...((await redis.call('smembers', 'to')) as Iterable<string>)].sort()).toEqual(['x', 'y']);

    await other.call('rpush', 'left', 'a');
    await cached(['lrange', 'right', '0', '-1'], []);
    await redis.call('lmove', 'left', 'right', 'left', 'right');
    expect(await redis.call('lrange', 'right', '0', '-1')).toEqual(['a']);

    // SORT's STORE key has no key spec the client can evaluate: the server is asked (COMMAND GETKEYS).
    await other.call('rpush', 'nums', '2', '1');
    await cached(['lrange', 'sorted', '0', '-1'], []);
    await redis.call('sort', 'nums', 'store', 'sorted');
    expect(await redis.call('lrange', 'sorted', '0', '-1')).toEqual(['1', '2']);
  });

  it('a pipeline drops every key of every command in it', async () => {
    expect(await readAfter((k) => redis.pipeline([['incr', 'n'], ['mset', 'a', '1', k, 'new']]))).toBe('new');
  });

  it('a transaction on connection() drops the keys it queued when EXEC answers', async () => {
    expect(
      await readAfter(async (k) => {
        const c = await redis.connection();
        try {
          await c.call('multi');
          await c.call('set', k, 'new');
          await c.call('exec');
        } finally {
          await c.release();
        }
      }),
    ).toBe('new');
    expect(
      await readAfter(async (k) => {
        const c = await redis.connection();
        try {
          await c.pipeline([['multi'], ['rename', k, 'gone'], ['set', k, 'piped'], ['exec']]);
        } finally {
          await c.release();
        }
      }),
    ).toBe('piped');
  });

  it('a plain write on connection() counts too', async () => {
    const c = await redis.connection();
    try {
      expect(await readAfter((k) => c.call('set', k, 'new'))).toBe('new');
      expect(await readAfter((k) => c.modify({ decoder: null }).pipeline([['append', k, '+']]))).toBe('old+');
    } finally {
      await c.release();
    }
  });

  it('a write sent to an endpoint counts too, and FLUSHDB drops everything', async () => {
    expect(await readAfter((k) => redis.call('set', k, 'new', { endpoint: `${proxy.address[0]}:${proxy.address[1]}` }))).toBe('new');
    expect(await readAfter((k) => redis.call('flushdb'))).toBeNull();
  });
});
