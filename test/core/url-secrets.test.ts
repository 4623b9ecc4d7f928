import { inspect } from 'node:util';
import fc from 'fast-check';
import { parseRedisUrl } from '../../lib/core/url.js';
import { Redis } from '../../lib/core/index.js';

/** Everything an error shows to a log or a console. */
function shown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    const e = err as Error;
    return `${e.message}\n${String(e)}\n${e.stack}\n${inspect(e)}`;
  }
  throw new Error('expected a throw');
}

describe('fromUrl: passwords with URL delimiters in them', () => {
  // Unencoded passwords are a common mistake; each delimiter must stay in the password.
  it.each([
    ['a slash', 'abc/SECRET'],
    ['a question mark', 'abc?SECRET=1'],
    ['a hash', 'abc#SECRET'],
    ['an at sign', 'abc@SECRET'],
    ['a colon', 'abc:SECRET'],
    ['all of them', ':/?#@SECRET@:/'],
  ])('a password containing %s parses to the right password, host, port and database', (_what, password) => {
    expect(parseRedisUrl(`redis://user:${password}@h.example:6380/3?decoder=utf8`)).toEqual({
      username: 'user',
      password,
      address: ['h.example', 6380],
      database: 3,
      decoder: 'utf8',
    });
    // Without a username, and without a port, path or query after the host.
    expect(parseRedisUrl(`rediss://:${password}@h.example`)).toEqual({ password, address: ['h.example', 6379], socketFactory: 'ssl' });
  });

  it('the repro of the issue: redis://:abc/SECRET@h:6379 is password "abc/SECRET" on h:6379', () => {
    expect(parseRedisUrl('redis://:abc/SECRET@h:6379')).toEqual({ password: 'abc/SECRET', address: ['h', 6379] });
    const redis = Redis.fromUrl('redis://:abc/SECRET@127.0.0.1:1', { connectRetry: 0 });
    expect(inspect(redis, { depth: 10, showHidden: true })).not.toContain('SECRET');
    return redis.close();
  });

  it('any password of printable characters and delimiters (but %) round-trips, whatever follows the host', () => {
    const passwordChar = fc.constantFrom(...'aZ09-_.~!$&\'()*+,;=:/?#@[] '.split(''));
    fc.assert(
      fc.property(
        fc.array(passwordChar, { minLength: 1, maxLength: 24 }).map((cs) => cs.join('')),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 15 }),
        (password, port, db) => {
          expect(parseRedisUrl(`redis://u:${password}@host.example:${port}/${db}?decoder=utf8`)).toEqual({
            username: 'u',
            password,
            address: ['host.example', port],
            database: db,
            decoder: 'utf8',
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('percent-encoded passwords still decode', () => {
    expect(parseRedisUrl('redis://u:p%40ss%2Fw%3Fd@h:1').password).toBe('p@ss/w?d');
  });

  it('unix socket URLs take credentials up to the last @ too', () => {
    expect(parseRedisUrl('unix://u:pa@ss/word@/tmp/r.sock?db=2')).toEqual({ username: 'u', password: 'pa@ss/word', address: '/tmp/r.sock', socketFactory: 'unix', database: 2 });
  });
});

describe('fromUrl: error messages quote no part of the URL', () => {
  const SECRET = 'Zq9SECRETxy';
  it.each([
    ['a bad port after the host', `redis://:${SECRET}@h:port${SECRET}`],
    ['a bad port inside the password (old split)', `redis://:abc/${SECRET}@h:abc`],
    ['a bad database', `redis://:${SECRET}@h:1/db${SECRET}`],
    ['an unknown scheme', `${SECRET}://h`],
    ['an unknown scheme after credentials', `x${SECRET}://:${SECRET}@h`],
    ['an unknown query parameter', `redis://:${SECRET}@h?${SECRET}=1`],
    ['a bad numeric query value', `redis://:${SECRET}@h?connectRetry=${SECRET}`],
    ['a bad boolean query value', `redis://:${SECRET}@h?attributes=${SECRET}`],
    ['a bad percent-encoding in the password', `redis://:%zz${SECRET}@h`],
    ['a bad percent-encoding in the host', `redis://:${SECRET}@h%zz${SECRET}`],
    ['an unterminated IPv6 host', `redis://:${SECRET}@[::1${SECRET}`],
    ['an infinite query duration', `redis://:${SECRET}@h?socketTimeout=Infinity`],
    ['a query duration past 2^31-1 ms', `redis://:${SECRET}@h?connectTimeout=2147483648`],
    ['an empty unix socket path', `unix://:${SECRET}@/`],
  ])('%s', (_what, url) => {
    const text = shown(() => Redis.fromUrl(url));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('SECRET');
  });

  it('the errors are TypeError or RangeError and say which part is wrong', () => {
    expect(() => parseRedisUrl('redis://h:abc')).toThrow(RangeError);
    expect(() => parseRedisUrl('redis://h:abc')).toThrow(/invalid port/);
    expect(() => parseRedisUrl('redis://h/x')).toThrow(/database/);
    expect(() => parseRedisUrl('redis://h?bogus=1')).toThrow(TypeError);
    expect(() => parseRedisUrl('redis://:%zz@h')).toThrow(/percent-encoding in its password/);
  });
});

describe('fromUrl: unix socket paths', () => {
  it.each(['unix:///', 'unix://', 'redis-socket:///', 'unix://u:p@/', 'unix:////'])('%s (no socket path) is a TypeError', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(TypeError);
    expect(() => Redis.fromUrl(url)).toThrow(TypeError);
  });

  it('a real path is kept', () => {
    expect(parseRedisUrl('unix:///tmp/redis.sock').address).toBe('/tmp/redis.sock');
  });
});
