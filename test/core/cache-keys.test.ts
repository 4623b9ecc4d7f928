/**
 * Client-side cache keys are the exact bytes sent: strings through the configured encoder,
 * Buffers as they are, invalidations (raw bytes from the server) the same way.
 */
import { Redis } from '../../lib/core/index.js';
import { cacheKeyOf } from '../../lib/core/cache/client-side-cache.js';
import { eventually } from '../helpers.js';
import { useRedisServer } from '../fixtures.js';

const server = useRedisServer();

describe('cacheKeyOf', () => {
  it('is the bytes the encoder writes, one latin1 char per byte', () => {
    expect(cacheKeyOf('café', 'utf8')).toBe(Buffer.from('café', 'utf8').toString('latin1'));
    expect(cacheKeyOf('é', 'utf8')).not.toBe(cacheKeyOf(Buffer.from([0xe9]), 'utf8'));
    expect(cacheKeyOf('é', 'latin1')).toBe(cacheKeyOf(Buffer.from([0xe9]), 'latin1'));
    expect(cacheKeyOf('ab', 'utf16le')).toBe('a\u0000b\u0000');
    expect(cacheKeyOf('plain', 'utf8')).toBe('plain');
    expect(cacheKeyOf(new Uint8Array([0x63, 0xc3, 0xa9]), 'utf8')).toBe(cacheKeyOf('cé', 'utf8'));
    expect(cacheKeyOf(12, 'utf8')).toBe(cacheKeyOf('12', 'utf8'));
  });
});

describe.each([2, 3] as const)('client-side cache keys over RESP%i', (respVersion) => {
  let redis: Redis;
  let other: Redis;
  beforeEach(async () => {
    other = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    await other.call('flushall');
    redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion, clientSideCache: true });
  });
  afterEach(async () => {
    await redis.close();
    await other.close();
  });

  /** Reads `key` until its reply is `value` and comes from the cache (tracking is set up by then). */
  async function cached(key: string | Buffer, value: string): Promise<void> {
    await eventually(async () => {
      if ((await redis.call('get', key)) !== value) return false;
      const hits = redis.clientSideCacheStats().hits;
      return (await redis.call('get', key)) === value && redis.clientSideCacheStats().hits === hits + 1;
    });
  }

  it("a non-ASCII key is invalidated when another client writes it", async () => {
    await other.call('set', 'café', 'v1');
    await cached('café', 'v1');
    await other.call('set', 'café', 'v2');
    // Before the fix the invalidation (latin1 of the UTF-8 bytes) never matched the entry
    // (stored by its UTF-16 text), so 'v1' was served forever.
    await eventually(async () => (await redis.call('get', 'café')) === 'v2');
    expect(await redis.call('get', 'café')).toBe('v2');
  });

  it("'é' and Buffer.from([0xe9]) are distinct keys, on the server and in the cache", async () => {
    await other.call('set', 'é', 'utf8-key');
    await other.call('set', Buffer.from([0xe9]), 'byte-key');
    await cached('é', 'utf8-key');
    const entries = redis.clientSideCacheStats().entries;
    // The other key is a miss (not served 'utf8-key' from the shared entry) and gets its own entry.
    expect(await redis.call('get', Buffer.from([0xe9]))).toBe('byte-key');
    await cached(Buffer.from([0xe9]) as never, 'byte-key');
    expect(redis.clientSideCacheStats().entries).toBe(entries + 1);
    expect(await redis.call('get', 'é')).toBe('utf8-key');
  });

  it('a write through this client drops the entry of the same bytes only', async () => {
    await other.call('set', 'é', 'a');
    await other.call('set', Buffer.from([0xe9]), 'b');
    await cached('é', 'a');
    await cached(Buffer.from([0xe9]) as never, 'b');
    await redis.call('set', Buffer.from('é', 'utf8'), 'a2');
    expect(await redis.call('get', 'é')).toBe('a2');
    expect(await redis.call('get', Buffer.from([0xe9]))).toBe('b');
  });
});
