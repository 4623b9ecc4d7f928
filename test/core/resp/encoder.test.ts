import fc from 'fast-check';
import { CommandEncoder, assertCommandArgs } from '../../../lib/core/resp/encoder.js';
import type { CommandArg } from '../../../lib/core/resp/types.js';
import { decodeChunks } from './resp-model.js';

function encode(commands: CommandArg[][], cutoffSize = 6000, encoding: BufferEncoding = 'utf8'): Buffer[] {
  const enc = new CommandEncoder({ cutoffSize, encoding });
  for (const c of commands) enc.push(c);
  return enc.take();
}

const wire = (chunks: Buffer[]) => Buffer.concat(chunks).toString('latin1');

describe('CommandEncoder', () => {
  test.each<[string, CommandArg[], string]>([
    ['simple command', ['PING'], '*1\r\n$4\r\nPING\r\n'],
    ['set', ['SET', 'key', 'value'], '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n'],
    ['empty string', ['SET', 'k', ''], '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n'],
    ['utf8 string', ['ECHO', 'h\u00e9llo \u{1f600}'], '*2\r\n$4\r\nECHO\r\n$11\r\nh\u00c3\u00a9llo \u00f0\u009f\u0098\u0080\r\n'],
    ['integers', ['INCRBY', 'k', 0, -0, 7, -42, 1234567890123], '*7\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$1\r\n0\r\n$1\r\n0\r\n$1\r\n7\r\n$3\r\n-42\r\n$13\r\n1234567890123\r\n'],
    ['safe integer limits', ['X', Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER], '*3\r\n$1\r\nX\r\n$16\r\n9007199254740991\r\n$17\r\n-9007199254740991\r\n'],
    ['large integral numbers in decimal', ['X', 1e21, -(2 ** 60)], '*3\r\n$1\r\nX\r\n$22\r\n1000000000000000000000\r\n$20\r\n-1152921504606846976\r\n'],
    ['floats', ['ZADD', 'z', 1.5, -0.25, 1e-7], '*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$5\r\n-0.25\r\n$4\r\n1e-7\r\n'],
    ['infinities', ['ZRANGEBYSCORE', 'z', -Infinity, Infinity], '*4\r\n$13\r\nZRANGEBYSCORE\r\n$1\r\nz\r\n$4\r\n-inf\r\n$3\r\ninf\r\n'],
    ['bigint', ['SET', 'k', 123456789012345678901234567890n, -5n], '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$30\r\n123456789012345678901234567890\r\n$2\r\n-5\r\n'],
    ['Buffer', ['SET', Buffer.from([0, 1, 2]), Buffer.alloc(0)], '*3\r\n$3\r\nSET\r\n$3\r\n\u0000\u0001\u0002\r\n$0\r\n\r\n'],
    ['Uint8Array', ['SET', new Uint8Array([65, 66])], '*2\r\n$3\r\nSET\r\n$2\r\nAB\r\n'],
    ['CRLF inside arguments is just bytes', ['SET', 'a\r\nDEL x\r\n', Buffer.from('\r\n')], '*3\r\n$3\r\nSET\r\n$10\r\na\r\nDEL x\r\n\r\n$2\r\n\r\n\r\n'],
  ])('%s', (_name, args, expected) => {
    expect(wire(encode([args]))).toBe(expected);
    expect(wire(encode([args], 0))).toBe(expected);
  });

  test('several commands coalesce into one chunk', () => {
    const chunks = encode([['SET', 'a', '1'], ['GET', 'a'], ['INCR', Buffer.from('n')]]);
    expect(chunks).toHaveLength(1);
    expect(wire(chunks)).toBe('*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n');
  });

  test('injection through CRLF is impossible: the server sees one argument', () => {
    const r = decodeChunks(encode([['SET', 'k', 'v\r\n*1\r\n$8\r\nFLUSHALL\r\n']]), { decoder: 'utf8', attributes: false });
    expect(r.events).toEqual([['reply', ['SET', 'k', 'v\r\n*1\r\n$8\r\nFLUSHALL\r\n']]]);
  });

  test('Buffers longer than cutoffSize are their own chunk, not copied, in order', () => {
    const big = Buffer.alloc(100, 'x');
    const small = Buffer.alloc(10, 'y');
    const enc = new CommandEncoder({ cutoffSize: 50, encoding: 'utf8' });
    enc.push(['SET', 'k', big]);
    enc.push(['SET', 'j', small, big]);
    expect(enc.pendingBytes).toBe(Buffer.concat(enc.take()).length);
    enc.push(['SET', 'k', big]);
    enc.push(['SET', 'j', small, big]);
    const chunks = enc.take();
    expect(chunks.filter((c) => c === big)).toHaveLength(2);
    expect(chunks.length).toBe(5);
    expect(wire(chunks)).toBe(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n${'x'.repeat(100)}\r\n*4\r\n$3\r\nSET\r\n$1\r\nj\r\n$10\r\n${'y'.repeat(10)}\r\n$100\r\n${'x'.repeat(100)}\r\n`);
  });

  test('a large Uint8Array is sent as a view of the same memory', () => {
    const u8 = new Uint8Array(100).fill(7);
    const chunks = encode([['SET', 'k', u8]], 10);
    const view = chunks.find((c) => c.length === 100)!;
    expect(view.buffer).toBe(u8.buffer);
  });

  test('cutoffSize 0: every non-empty Buffer is its own chunk; strings still coalesce', () => {
    const a = Buffer.from('a');
    const b = Buffer.from('bb');
    const chunks = encode([['SET', 'key', a], ['APPEND', 'key', b, Buffer.alloc(0)]], 0);
    expect(chunks.includes(a)).toBe(true);
    expect(chunks.includes(b)).toBe(true);
    expect(wire(chunks)).toBe('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\na\r\n*4\r\n$6\r\nAPPEND\r\n$3\r\nkey\r\n$2\r\nbb\r\n$0\r\n\r\n');
  });

  test('large strings are encoded once and sent separately', () => {
    const s = '\u00e9'.repeat(5000);
    const chunks = encode([['SET', 'k', s]], 0);
    expect(wire(chunks)).toBe(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10000\r\n${Buffer.from(s).toString('latin1')}\r\n`);
    expect(chunks.some((c) => c.length === 10000)).toBe(true);
  });

  test('taken chunks are never modified by later pushes', () => {
    const enc = new CommandEncoder({ cutoffSize: 6000, encoding: 'utf8' });
    enc.push(['GET', 'first']);
    const first = enc.take();
    const snapshot = Buffer.concat(first).toString('latin1');
    for (let i = 0; i < 5000; i++) enc.push(['SET', `key:${i}`, 'v'.repeat(i % 100)]);
    enc.take();
    expect(Buffer.concat(first).toString('latin1')).toBe(snapshot);
  });

  test('commands larger than the scratch buffer and strings in other encodings', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `member-${i}`);
    const r = decodeChunks(encode([['SADD', 's', ...many]]), { decoder: 'utf8', attributes: false });
    expect(r.events[0][1]).toEqual(['SADD', 's', ...many]);
    expect(wire(encode([['SET', 'k', '\u00ff\u00e9']], 6000, 'latin1'))).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\u00ff\u00e9\r\n');
    // The encoding applies to every string argument, the command name included.
    expect(wire(encode([['534554', '6b', '0102']], 6000, 'hex'))).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\u0001\u0002\r\n');
  });

  test('pendingBytes counts what take() returns', () => {
    const enc = new CommandEncoder({ cutoffSize: 4, encoding: 'utf8' });
    expect(enc.pendingBytes).toBe(0);
    enc.push(['SET', 'k', Buffer.alloc(10)]);
    const n = enc.pendingBytes;
    expect(Buffer.concat(enc.take()).length).toBe(n);
    expect(enc.pendingBytes).toBe(0);
    expect(enc.take()).toEqual([]);
  });

  test('an invalid argument reaching push() leaves nothing behind', () => {
    const enc = new CommandEncoder({ cutoffSize: 0, encoding: 'utf8' });
    enc.push(['PING']);
    expect(() => enc.push(['SET', Buffer.alloc(5), 'x'.repeat(70_000), NaN])).toThrow(TypeError);
    expect(() => enc.push(['SET', true as unknown as CommandArg])).toThrow(TypeError);
    expect(wire(enc.take())).toBe('*1\r\n$4\r\nPING\r\n');
  });

  test('options are validated', () => {
    expect(() => new CommandEncoder({ cutoffSize: -1, encoding: 'utf8' })).toThrow(RangeError);
    expect(() => new CommandEncoder({ cutoffSize: 1, encoding: 'nope' as BufferEncoding })).toThrow(RangeError);
  });

  test('property: any arguments round-trip through a RESP decoder, whatever the cutoff', () => {
    const arg = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
      fc.uint8Array({ maxLength: 40 }),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.bigInt(),
    );
    const text = (a: CommandArg): Buffer => {
      if (typeof a === 'string') return Buffer.from(a);
      if (a instanceof Uint8Array) return Buffer.from(a);
      if (typeof a === 'number') {
        if (a === Infinity) return Buffer.from('inf');
        if (a === -Infinity) return Buffer.from('-inf');
        return Buffer.from(Number.isInteger(a) ? BigInt(a).toString() : String(a));
      }
      return Buffer.from(a.toString());
    };
    fc.assert(
      fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), fc.constantFrom(0, 1, 16, 6000), (commands, cutoff) => {
        const enc = new CommandEncoder({ cutoffSize: cutoff, encoding: 'utf8' });
        for (const c of commands) enc.push(c);
        const pending = enc.pendingBytes;
        const chunks = enc.take();
        expect(Buffer.concat(chunks).length).toBe(pending);
        const r = decodeChunks(chunks, { decoder: null, attributes: false });
        expect(r.error).toBeUndefined();
        expect(r.events).toEqual(commands.map((c) => ['reply', c.map(text)]));
      }),
      { numRuns: 300 },
    );
  });
});

describe('assertCommandArgs', () => {
  test('accepts every argument type', () => {
    expect(() => assertCommandArgs(['SET', Buffer.from('k'), new Uint8Array(1), 1, 1.5, -Infinity, 5n])).not.toThrow();
  });

  test('rejects an empty command', () => {
    expect(() => assertCommandArgs([])).toThrow(TypeError);
  });

  test.each<[string, unknown, RegExp]>([
    ['boolean', true, /index 2: got a boolean/],
    ['null', null, /index 2: got null/],
    ['undefined', undefined, /index 2: got undefined/],
    ['array', ['hunter2'], /index 2: got an array/],
    ['object', { password: 'hunter2' }, /index 2: got an object/],
    ['Date', new Date(0), /index 2: got an object \(Date\)/],
    ['NaN', NaN, /index 2: got NaN/],
    ['symbol', Symbol('hunter2'), /index 2: got a symbol/],
    ['function', () => 'hunter2', /index 2: got a function/],
    ['Int16Array', new Int16Array(2), /index 2: got an object \(Int16Array\)/],
  ])('rejects %s with its position and type, never its value', (_name, bad, message) => {
    let error: unknown;
    try {
      assertCommandArgs(['AUTH', 'user', bad]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });

  test('never quotes a string near the bad argument either', () => {
    expect(() => assertCommandArgs(['AUTH', 'hunter2', false])).toThrow(/^(?!.*hunter2).*index 2/);
  });
});
