/**
 * The codec against a real redis-server: every RESP3 type from DEBUG PROTOCOL, in RESP2 and
 * RESP3, over a raw socket (no connection layer involved). The server is this file's own.
 */
import net from 'node:net';
import { RespDecoder } from '../../../lib/core/resp/decoder.js';
import { CommandEncoder } from '../../../lib/core/resp/encoder.js';
import { RedisValue, type CommandArg, type DecodeSettings, type RespTypeName } from '../../../lib/core/resp/types.js';
import { ReplyError } from '../../../lib/core/errors.js';
import { startRedisServer, type RedisServer } from '../../../lib/testing/index.js';

const RAW: DecodeSettings = { decoder: null, attributes: false };
const UTF8: DecodeSettings = { decoder: 'utf8', attributes: false };
const ATTRS: DecodeSettings = { decoder: 'utf8', attributes: true };

/** A minimal client: replies are matched first-in first-out; pushes are collected. */
class RawClient {
  readonly pushes: unknown[] = [];
  private readonly queue: { settings: DecodeSettings; resolve: (v: unknown) => void }[] = [];
  private readonly encoder = new CommandEncoder({ cutoffSize: 6000, encoding: 'utf8' });
  private readonly decoder: RespDecoder;
  private failure: unknown = null;

  private constructor(private readonly socket: net.Socket) {
    this.decoder = new RespDecoder({
      replySettings: () => this.queue[0]?.settings ?? RAW,
      pushSettings: () => UTF8,
      onReply: (v) => this.queue.shift()!.resolve(v),
      onPush: (v) => this.pushes.push(v),
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.feed(chunk);
      } catch (err) {
        this.failure = err;
        socket.destroy();
      }
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(args: CommandArg[], settings: DecodeSettings = UTF8): Promise<unknown> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const reply = new Promise((resolve) => this.queue.push({ settings, resolve }));
    this.encoder.push(args);
    for (const chunk of this.encoder.take()) this.socket.write(chunk);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The `decoder: null` form of a utf8 expectation: every string becomes a Buffer. */
function asBuffers(v: unknown): unknown {
  if (typeof v === 'string') return Buffer.from(v);
  if (Array.isArray(v)) return v.map(asBuffers);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [asBuffers(k), asBuffers(x)]));
  if (v instanceof Set) return new Set([...v].map(asBuffers));
  return v;
}

const V = (type: RespTypeName, data: unknown, attrs: Map<unknown, unknown> | null = null) => new RedisValue(type, data, attrs);
const n = (x: number) => V('Number', x);

const ATTRIB_TEXT = 'Some real reply following the attribute';
const PUSH_TEXT = 'Some real reply following the push reply';
const VERBATIM_TEXT = 'This is a verbatim\nstring';

/** [type, RESP3 utf8, RESP3 with attributes, RESP2 utf8] */
const table: [string, unknown, unknown, unknown][] = [
  ['string', 'Hello World', V('String', 'Hello World'), 'Hello World'],
  ['integer', 12345, n(12345), 12345],
  ['double', 3.141, V('Double', 3.141), '3.141'],
  ['bignum', 1234567999999999999999999999999999999n, V('BigNumber', 1234567999999999999999999999999999999n), '1234567999999999999999999999999999999'],
  ['null', null, V('Null', null), null],
  ['array', [0, 1, 2], V('Array', [n(0), n(1), n(2)]), [0, 1, 2]],
  ['set', new Set([0, 1, 2]), V('Set', new Set([n(0), n(1), n(2)])), [0, 1, 2]],
  [
    'map',
    new Map([
      [0, false],
      [1, true],
      [2, false],
    ]),
    V(
      'Map',
      new Map([
        [n(0), V('Boolean', false)],
        [n(1), V('Boolean', true)],
        [n(2), V('Boolean', false)],
      ]),
    ),
    [0, 0, 1, 1, 2, 0],
  ],
  [
    'attrib',
    ATTRIB_TEXT,
    V('String', ATTRIB_TEXT, new Map([[V('String', 'key-popularity'), V('Array', [V('String', 'key:123'), n(90)])]])),
    ATTRIB_TEXT,
  ],
  ['push', PUSH_TEXT, V('String', PUSH_TEXT), new ReplyError('ERR RESP2 is not supported by this command')],
  ['verbatim', VERBATIM_TEXT, V('VerbatimString', VERBATIM_TEXT), VERBATIM_TEXT],
  ['true', true, V('Boolean', true), 1],
  ['false', false, V('Boolean', false), 0],
];

describe('codec against redis-server (DEBUG PROTOCOL)', () => {
  let server: RedisServer;
  let port: number;
  let resp3: RawClient;
  let resp2: RawClient;

  beforeAll(async () => {
    server = await startRedisServer({ enableDebug: true });
    port = server.port;
    resp3 = await RawClient.connect(port);
    resp2 = await RawClient.connect(port);
    const hello = (await resp3.send(['HELLO', 3])) as Map<string, unknown>;
    expect(hello).toBeInstanceOf(Map);
    expect(hello.get('proto')).toBe(3);
    expect(await resp2.send(['HELLO', 2])).toEqual(expect.arrayContaining(['proto', 2]));
  });

  afterAll(async () => {
    resp3?.close();
    resp2?.close();
    await server?.stop();
  });

  describe.each(table)('%s', (type, v3, v3attrs, v2) => {
    test('RESP3, decoder utf8', async () => {
      expect(await resp3.send(['DEBUG', 'PROTOCOL', type])).toStrictEqual(v3);
    });
    test('RESP3, decoder null', async () => {
      expect(await resp3.send(['DEBUG', 'PROTOCOL', type], RAW)).toStrictEqual(asBuffers(v3));
    });
    test('RESP3, attributes', async () => {
      expect(await resp3.send(['DEBUG', 'PROTOCOL', type], ATTRS)).toStrictEqual(v3attrs);
    });
    test('RESP2, decoder utf8 and null', async () => {
      expect(await resp2.send(['DEBUG', 'PROTOCOL', type])).toStrictEqual(v2);
      expect(await resp2.send(['DEBUG', 'PROTOCOL', type], RAW)).toStrictEqual(asBuffers(v2));
    });
    test('RESP2, attributes (attrs always null)', async () => {
      const got = await resp2.send(['DEBUG', 'PROTOCOL', type], ATTRS);
      if (v2 instanceof ReplyError) expect(got).toStrictEqual(v2);
      else expect(got).toBeInstanceOf(RedisValue);
      expect((got as RedisValue).attrs ?? null).toBeNull();
    });
  });

  test('RESP3 push frames go to onPush, decoded with the push settings', async () => {
    const before = resp3.pushes.length;
    await resp3.send(['DEBUG', 'PROTOCOL', 'push'], RAW);
    expect(resp3.pushes.slice(before)).toStrictEqual([['server-cpu-usage', 42]]);
  });

  test('errors, large values and a deep pipeline', async () => {
    await expect(resp3.send(['NOSUCHCOMMAND', 'secret'])).resolves.toBeInstanceOf(ReplyError);
    const big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    expect(await resp3.send(['SET', 'codec:big', big])).toBe('OK');
    const got = (await resp3.send(['GET', 'codec:big'], RAW)) as Buffer;
    expect(got.equals(big)).toBe(true);
    const replies = await Promise.all(Array.from({ length: 2000 }, (_, i) => resp2.send(['INCRBY', 'codec:counter', i])));
    expect(replies[1999]).toBe((1999 * 2000) / 2);
    const many = Array.from({ length: 5000 }, (_, i) => `m${i}`);
    await resp3.send(['DEL', 'codec:set']);
    expect(await resp3.send(['SADD', 'codec:set', ...many])).toBe(5000);
    expect(((await resp3.send(['SMEMBERS', 'codec:set'])) as Set<string>).size).toBe(5000);
    expect(await resp2.send(['EXEC'])).toStrictEqual(new ReplyError('ERR EXEC without MULTI'));
    expect(await resp3.send(['DEL', 'codec:big', 'codec:counter', 'codec:set'])).toBe(3);
  });
});
