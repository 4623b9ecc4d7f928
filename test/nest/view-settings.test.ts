import { Redis } from '../../lib/core/index.js';
import { getRedisToken } from '../../lib/nest/index.js';

/** A view's settings are checked by core's options table, so a token is refused exactly when `modify()` would refuse the view. */
describe('view settings of getRedisToken()', () => {
  const redis = new Redis({ address: ['127.0.0.1', 1], connectRetry: 0 });
  afterAll(() => redis.close());

  it.each([
    { database: 2 ** 31 },
    { database: 1.5 },
    { database: -1 },
    { database: '1' },
    { decoder: 'nope' },
    { attributes: 1 },
    { db: 1 },
  ])('refuses %p as a TypeError, as modify() refuses it', (settings) => {
    expect(() => redis.modify(settings as never)).toThrow();
    expect(() => getRedisToken(settings as never)).toThrow(TypeError);
    expect(() => getRedisToken('cache', settings as never)).toThrow(TypeError);
  });

  it.each([{ database: 2 ** 31 - 1 }, { database: 0 }, { decoder: null }, { decoder: 'latin1' }, { attributes: true }] as const)(
    'accepts %p, as modify() does',
    (settings) => {
      expect(() => redis.modify(settings)).not.toThrow();
      expect(getRedisToken(settings)).toMatch(/\[.+=.+\]$/);
    },
  );
});
