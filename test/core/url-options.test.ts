import { inspect } from 'node:util';
import { parseRedisUrl } from '../../lib/core/url.js';
import { resolveOptions } from '../../lib/core/options.js';
import { Redis } from '../../lib/core/index.js';

describe('parseRedisUrl', () => {
  it('reads host, port, database and credentials', () => {
    expect(parseRedisUrl('redis://user:p%40ss@example.com:6380/2')).toEqual({
      username: 'user',
      password: 'p@ss',
      address: ['example.com', 6380],
      database: 2,
    });
  });

  it('keeps the password of rediss://:pw@host (a defect of the reference)', () => {
    const o = parseRedisUrl('rediss://:secret@example.com');
    expect(o.password).toBe('secret');
    expect(o.username).toBeUndefined();
    expect(o.socketFactory).toBe('ssl');
    expect(o.address).toEqual(['example.com', 6379]);
  });

  it('reads a password given without a colon, as redis-cli does', () => {
    expect(parseRedisUrl('redis://secret@h').password).toBe('secret');
  });

  it('treats ssl:// as TLS', () => {
    expect(parseRedisUrl('ssl://h:1').socketFactory).toBe('ssl');
  });

  it('reads host lists as addresses', () => {
    expect(parseRedisUrl('redis://a:7000,b:7001,[::1]:7002/0').addresses).toEqual([
      ['a', 7000],
      ['b', 7001],
      ['::1', 7002],
    ]);
  });

  it('reads unix and redis-socket URLs with credentials and options', () => {
    expect(parseRedisUrl('unix:///tmp/redis.sock?db=3')).toEqual({ address: '/tmp/redis.sock', socketFactory: 'unix', database: 3 });
    expect(parseRedisUrl('redis-socket://u:pw@/var/run/r.sock')).toEqual({
      username: 'u',
      password: 'pw',
      address: '/var/run/r.sock',
      socketFactory: 'unix',
    });
  });

  it('reads sentinel URLs', () => {
    expect(parseRedisUrl('redis+sentinel://s1:26379,s2/mymaster/1')).toEqual({
      addresses: [
        ['s1', 26379],
        ['s2', 26379],
      ],
      poolFactory: 'sentinel',
      sentinelMaster: 'mymaster',
      database: 1,
    });
  });

  it('takes any option as a query parameter, camelCase or snake_case, typed', () => {
    expect(
      parseRedisUrl('redis://h?decoder=utf8&socket_timeout=500&respVersion=3&attributes=true&tcpNodelay=false&client_name=app&decoder=null'),
    ).toEqual({ address: ['h', 6379], decoder: null, socketTimeout: 500, respVersion: 3, attributes: true, tcpNodelay: false, clientName: 'app' });
  });

  it('rejects what it cannot read with a TypeError/RangeError', () => {
    expect(() => parseRedisUrl('http://h')).toThrow(TypeError);
    expect(() => parseRedisUrl('h:6379')).toThrow(TypeError);
    expect(() => parseRedisUrl('redis://h:99999')).toThrow(RangeError);
    expect(() => parseRedisUrl('redis://h/x')).toThrow(RangeError);
    expect(() => parseRedisUrl('redis://h?socketTimeout=soon')).toThrow(TypeError);
  });
});

describe('resolveOptions', () => {
  it('fills the seed defaults', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({
      poolFactory: 'auto',
      addresses: [['localhost', 6379]],
      respVersion: 2,
      socketFactory: 'tcp',
      connectRetry: 2,
      maxConnections: Infinity,
      cutoffSize: 6000,
      encoder: 'utf8',
      decoder: null,
      attributes: false,
      database: 0,
      tcpNodelay: true,
      maxBulkLength: 512 * 1024 * 1024,
    });
  });

  it('picks unix for a socket path and ssl when TLS options are given', () => {
    expect(resolveOptions({ address: '/tmp/x.sock' }).socketFactory).toBe('unix');
    expect(resolveOptions({ tls: { rejectUnauthorized: true } }).socketFactory).toBe('ssl');
  });

  it.each([
    [{ respVersion: 4 }, RangeError],
    [{ database: -1 }, RangeError],
    [{ database: 1.5 }, RangeError],
    [{ cutoffSize: '10' }, TypeError],
    [{ decoder: 'klingon' }, TypeError],
    [{ address: ['h', 70000] }, RangeError],
    [{ address: 42 }, TypeError],
    [{ poolFactory: 'magic' }, TypeError],
    [{ socketTimeout: NaN }, TypeError],
    [{ nonsense: 1 }, TypeError],
    [{ attributes: 'yes' }, TypeError],
  ])('rejects %p', (options, errorClass) => {
    expect(() => resolveOptions(options as never)).toThrow(errorClass);
  });

  it('never shows the password in errors, inspect or JSON', () => {
    const o = resolveOptions({ password: 'hunter2-secret', username: 'me' });
    expect(inspect(o, { depth: 5 })).not.toContain('hunter2');
    expect(JSON.stringify(o)).not.toContain('hunter2');
    expect(String(o.password)).not.toContain('hunter2');
    expect(o.password?.reveal()).toBe('hunter2-secret');
    let message = '';
    try {
      resolveOptions({ password: 12345 as never });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/password/);
    expect(message).not.toContain('12345');
    const redis = Redis.fromUrl('redis://me:hunter2-secret@127.0.0.1:1/0');
    expect(inspect(redis, { depth: 10, showHidden: true })).not.toContain('hunter2');
    void redis.close();
  });
});
