import { RespDecoder } from '../../../lib/core/resp/decoder.js';
import { RedisValue, type DecodeSettings, type RespTypeName } from '../../../lib/core/resp/types.js';
import { ProtocolError, ReplyError } from '../../../lib/core/errors.js';
import { bytewise, decodeChunks, splitAt, type Event } from './resp-model.js';

const RAW: DecodeSettings = { decoder: null, attributes: false };
const UTF8: DecodeSettings = { decoder: 'utf8', attributes: false };
const ATTRS: DecodeSettings = { decoder: 'utf8', attributes: true };
const RAW_ATTRS: DecodeSettings = { decoder: null, attributes: true };

const B = (s: string) => Buffer.from(s, 'utf8');
const V = (type: RespTypeName, data: unknown, attrs: Map<unknown, unknown> | null = null) => new RedisValue(type, data, attrs);

interface Case {
  name: string;
  wire: string;
  /** Expected events per mode; a bare value means one reply. */
  raw: unknown;
  utf8: unknown;
  attrs: unknown;
  rawAttrs?: unknown;
  /** The expectations are lists of events rather than one reply. */
  events?: true;
}

/** For values that do not depend on the string decoder. */
function scalar(name: string, wire: string, value: unknown, type: RespTypeName): Case {
  return { name, wire, raw: value, utf8: value, attrs: V(type, value), rawAttrs: V(type, value) };
}

function bareError(name: string, wire: string, error: ReplyError): Case {
  return { name, wire, raw: error, utf8: error, attrs: error, rawAttrs: error };
}

function str(name: string, wire: string, text: string, type: RespTypeName = 'String'): Case {
  return { name, wire, raw: B(text), utf8: text, attrs: V(type, text), rawAttrs: V(type, B(text)) };
}

const cases: Case[] = [
  str('simple string', '+OK\r\n', 'OK'),
  str('empty simple string', '+\r\n', ''),
  str('simple string with utf8', '+h\u00e9llo w\u00f6rld\r\n', 'h\u00e9llo w\u00f6rld'),
  str('bulk string', '$5\r\nhello\r\n', 'hello'),
  str('empty bulk string', '$0\r\n\r\n', ''),
  str('bulk string with CRLF inside', '$8\r\na\r\nb\r\n\r\n\r\n', 'a\r\nb\r\n\r\n'),
  str('bulk string with multibyte utf8', '$4\r\n\u00e9\u00e8\r\n', '\u00e9\u00e8'),
  str('verbatim string', '=15\r\ntxt:Some string\r\n', 'Some string', 'VerbatimString'),
  str('empty verbatim string', '=4\r\nmkd:\r\n', '', 'VerbatimString'),
  str('streamed string', '$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n', 'Hello word'),
  str('streamed string, empty', '$?\r\n;0\r\n', ''),
  scalar('integer', ':1000\r\n', 1000, 'Number'),
  scalar('zero', ':0\r\n', 0, 'Number'),
  scalar('negative integer', ':-42\r\n', -42, 'Number'),
  scalar('minus zero integer is 0', ':-0\r\n', 0, 'Number'),
  // The spec's grammar is `:[<+|->]<value>`: an explicit plus sign is valid.
  scalar('integer with a plus sign', ':+1\r\n', 1, 'Number'),
  scalar('plus zero integer', ':+0\r\n', 0, 'Number'),
  scalar('long integer with a plus sign', ':+9223372036854775807\r\n', 9223372036854775807n, 'Number'),
  scalar('double with a plus sign', ',+1.5\r\n', 1.5, 'Double'),
  scalar('big number with a plus sign', '(+3492890328409238509324850943850943825024385\r\n', 3492890328409238509324850943850943825024385n, 'BigNumber'),
  scalar('max safe integer', ':9007199254740991\r\n', 9007199254740991, 'Number'),
  scalar('min safe integer', ':-9007199254740991\r\n', -9007199254740991, 'Number'),
  scalar('16 digits, still safe', ':1234567890123456\r\n', 1234567890123456, 'Number'),
  scalar('past max safe integer', ':9007199254740992\r\n', 9007199254740992n, 'Number'),
  scalar('int64 max', ':9223372036854775807\r\n', 9223372036854775807n, 'Number'),
  scalar('int64 min', ':-9223372036854775808\r\n', -9223372036854775808n, 'Number'),
  scalar('null', '_\r\n', null, 'Null'),
  scalar('null bulk', '$-1\r\n', null, 'Null'),
  scalar('null array', '*-1\r\n', null, 'Null'),
  scalar('double', ',3.14\r\n', 3.14, 'Double'),
  scalar('double integral', ',10\r\n', 10, 'Double'),
  scalar('double negative', ',-1.5\r\n', -1.5, 'Double'),
  scalar('double exponent', ',1.5e10\r\n', 1.5e10, 'Double'),
  scalar('double exponent upper, signed', ',1.23E+300\r\n', 1.23e300, 'Double'),
  scalar('double negative exponent', ',-2.5e-7\r\n', -2.5e-7, 'Double'),
  scalar('double inf', ',inf\r\n', Infinity, 'Double'),
  scalar('double -inf', ',-inf\r\n', -Infinity, 'Double'),
  scalar('double nan', ',nan\r\n', NaN, 'Double'),
  scalar('double -0', ',-0\r\n', -0, 'Double'),
  scalar('true', '#t\r\n', true, 'Boolean'),
  scalar('false', '#f\r\n', false, 'Boolean'),
  scalar('big number', '(3492890328409238509324850943850943825024385\r\n', 3492890328409238509324850943850943825024385n, 'BigNumber'),
  scalar('negative big number', '(-3492890328409238509324850943850943825024385\r\n', -3492890328409238509324850943850943825024385n, 'BigNumber'),
  scalar('small big number stays bigint', '(5\r\n', 5n, 'BigNumber'),
  // Top-level errors stay bare ReplyErrors in every mode: callers reject with them.
  bareError('simple error', '-ERR unknown command\r\n', new ReplyError('ERR unknown command')),
  bareError('bulk error', '!22\r\nSYNTAX invalid\r\nsyntax\r\n', new ReplyError('SYNTAX invalid\r\nsyntax')),
  {
    name: 'array',
    wire: '*3\r\n:1\r\n$3\r\nfoo\r\n_\r\n',
    raw: [1, B('foo'), null],
    utf8: [1, 'foo', null],
    attrs: V('Array', [V('Number', 1), V('String', 'foo'), V('Null', null)]),
  },
  { name: 'empty array', wire: '*0\r\n', raw: [], utf8: [], attrs: V('Array', []) },
  {
    name: 'nested arrays',
    wire: '*2\r\n*2\r\n:1\r\n*0\r\n*1\r\n+x\r\n',
    raw: [[1, []], [B('x')]],
    utf8: [[1, []], ['x']],
    attrs: V('Array', [V('Array', [V('Number', 1), V('Array', [])]), V('Array', [V('String', 'x')])]),
  },
  {
    name: 'error nested in array (EXEC)',
    wire: '*2\r\n+OK\r\n-WRONGTYPE Operation\r\n',
    raw: [B('OK'), new ReplyError('WRONGTYPE Operation')],
    utf8: ['OK', new ReplyError('WRONGTYPE Operation')],
    attrs: V('Array', [V('String', 'OK'), V('Error', new ReplyError('WRONGTYPE Operation'))]),
  },
  {
    name: 'map',
    wire: '%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#t\r\n',
    raw: new Map<unknown, unknown>([
      [B('first'), 1],
      [B('second'), true],
    ]),
    utf8: new Map<unknown, unknown>([
      ['first', 1],
      ['second', true],
    ]),
    attrs: V(
      'Map',
      new Map([
        [V('String', 'first'), V('Number', 1)],
        [V('String', 'second'), V('Boolean', true)],
      ]),
    ),
  },
  { name: 'empty map', wire: '%0\r\n', raw: new Map(), utf8: new Map(), attrs: V('Map', new Map()) },
  {
    name: 'set',
    wire: '~3\r\n+a\r\n+b\r\n:1\r\n',
    raw: new Set([B('a'), B('b'), 1]),
    utf8: new Set(['a', 'b', 1]),
    attrs: V('Set', new Set([V('String', 'a'), V('String', 'b'), V('Number', 1)])),
  },
  { name: 'empty set', wire: '~0\r\n', raw: new Set(), utf8: new Set(), attrs: V('Set', new Set()) },
  {
    name: 'streamed array',
    wire: '*?\r\n:1\r\n*?\r\n.\r\n+a\r\n.\r\n',
    raw: [1, [], B('a')],
    utf8: [1, [], 'a'],
    attrs: V('Array', [V('Number', 1), V('Array', []), V('String', 'a')]),
  },
  {
    name: 'streamed map',
    wire: '%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n',
    raw: new Map([
      [B('a'), 1],
      [B('b'), 2],
    ]),
    utf8: new Map([
      ['a', 1],
      ['b', 2],
    ]),
    attrs: V(
      'Map',
      new Map([
        [V('String', 'a'), V('Number', 1)],
        [V('String', 'b'), V('Number', 2)],
      ]),
    ),
  },
  {
    name: 'streamed set',
    wire: '~?\r\n:1\r\n:2\r\n.\r\n',
    raw: new Set([1, 2]),
    utf8: new Set([1, 2]),
    attrs: V('Set', new Set([V('Number', 1), V('Number', 2)])),
  },
  {
    name: 'attribute before a top-level value',
    wire: '|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.19\r\n$5\r\nhello\r\n',
    raw: B('hello'),
    utf8: 'hello',
    attrs: V('String', 'hello', new Map([[V('String', 'key-popularity'), V('Array', [V('String', 'a'), V('Double', 0.19)])]])),
  },
  {
    name: 'attribute inside an array (not an element)',
    wire: '*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n',
    raw: [1, 2],
    utf8: [1, 2],
    attrs: V('Array', [V('Number', 1), V('Number', 2, new Map([[V('String', 'ttl'), V('Number', 3600)]]))]),
  },
  {
    name: 'attribute before a nested aggregate and an empty attribute',
    wire: '*1\r\n|0\r\n*1\r\n|1\r\n+k\r\n+v\r\n#t\r\n',
    raw: [[true]],
    utf8: [[true]],
    attrs: V('Array', [V('Array', [V('Boolean', true, new Map([[V('String', 'k'), V('String', 'v')]]))], new Map())]),
  },
  {
    name: 'streamed attribute before a map value',
    wire: '%1\r\n+k\r\n|?\r\n+a\r\n+b\r\n.\r\n:5\r\n',
    raw: new Map([[B('k'), 5]]),
    utf8: new Map([['k', 5]]),
    attrs: V('Map', new Map([[V('String', 'k'), V('Number', 5, new Map([[V('String', 'a'), V('String', 'b')]]))]])),
  },
  {
    name: 'push frame',
    events: true,
    wire: '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
    raw: [['push', [B('message'), B('ch'), B('hi')]]],
    utf8: [['push', ['message', 'ch', 'hi']]],
    attrs: [['push', V('Push', [V('String', 'message'), V('String', 'ch'), V('String', 'hi')])]],
  },
  {
    name: 'push frame between replies',
    events: true,
    wire: '+one\r\n>2\r\n+invalidate\r\n*1\r\n+k\r\n:2\r\n',
    raw: [
      ['reply', B('one')],
      ['push', [B('invalidate'), [B('k')]]],
      ['reply', 2],
    ],
    utf8: [
      ['reply', 'one'],
      ['push', ['invalidate', ['k']]],
      ['reply', 2],
    ],
    attrs: [
      ['reply', V('String', 'one')],
      ['push', V('Push', [V('String', 'invalidate'), V('Array', [V('String', 'k')])])],
      ['reply', V('Number', 2)],
    ],
  },
  {
    name: 'several replies',
    events: true,
    wire: '+OK\r\n:1\r\n$-1\r\n*1\r\n$0\r\n\r\n',
    raw: [
      ['reply', B('OK')],
      ['reply', 1],
      ['reply', null],
      ['reply', [B('')]],
    ],
    utf8: [
      ['reply', 'OK'],
      ['reply', 1],
      ['reply', null],
      ['reply', ['']],
    ],
    attrs: [
      ['reply', V('String', 'OK')],
      ['reply', V('Number', 1)],
      ['reply', V('Null', null)],
      ['reply', V('Array', [V('String', '')])],
    ],
  },
];

function asEvents(c: Case, key: keyof Case): Event[] {
  return c.events === true ? (c[key] as Event[]) : [['reply', c[key]]];
}

const modes: [string, DecodeSettings, keyof Case][] = [
  ['decoder null', RAW, 'raw'],
  ['decoder utf8', UTF8, 'utf8'],
  ['attributes', ATTRS, 'attrs'],
];

describe('RespDecoder table', () => {
  for (const c of cases) {
    describe(c.name, () => {
      const wire = Buffer.from(c.wire, 'utf8');
      const allModes = c.rawAttrs === undefined ? modes : [...modes, ['attributes, decoder null', RAW_ATTRS, 'rawAttrs'] as [string, DecodeSettings, keyof Case]];
      for (const [label, settings, key] of allModes) {
        const expected = asEvents(c, key);
        test(`${label}: whole, byte by byte, every split`, () => {
          // Pushes use the same settings here; routing is checked by the event kind.
          expect(decodeChunks([wire], settings)).toStrictEqual({ events: expected, error: undefined });
          expect(decodeChunks(bytewise(wire), settings)).toStrictEqual({ events: expected, error: undefined });
          for (let i = 1; i < wire.length; i++) {
            const r = decodeChunks(splitAt(wire, [i]), settings);
            if (r.error !== undefined) throw r.error;
            expect(r.events).toStrictEqual(expected);
          }
        });
      }
    });
  }

  test('strings from one chunk are views (decoder null), values are independent of later chunks', () => {
    const chunk = Buffer.from('$3\r\nabc\r\n+de\r\n');
    const { events } = decodeChunks([chunk], RAW);
    const [a, d] = events.map((e) => e[1] as Buffer);
    expect(a.buffer).toBe(chunk.buffer);
    // A line completed across chunks is copied out of the decoder's scratch line buffer.
    const r = decodeChunks([Buffer.from('+he'), Buffer.from('llo\r\n+again\r\n')], RAW);
    expect(r.events).toStrictEqual([
      ['reply', B('hello')],
      ['reply', B('again')],
    ]);
    expect(d).toStrictEqual(B('de'));
  });

  test('settings are fetched once per top-level frame; pushes use pushSettings', () => {
    const calls: string[] = [];
    const got: Event[] = [];
    const d = new RespDecoder({
      replySettings: () => (calls.push('reply'), UTF8),
      pushSettings: () => (calls.push('push'), RAW),
      onReply: (v) => got.push(['reply', v]),
      onPush: (v) => got.push(['push', v]),
    });
    const wire = Buffer.from('*2\r\n+a\r\n*1\r\n+b\r\n>1\r\n+c\r\n|1\r\n+k\r\n+v\r\n>1\r\n+d\r\n:1\r\n');
    for (const b of bytewise(wire)) d.feed(b);
    expect(calls).toEqual(['reply', 'push', 'reply', 'push', 'reply']);
    expect(got).toStrictEqual([
      ['reply', ['a', ['b']]],
      ['push', [B('c')]],
      ['push', [B('d')]],
      ['reply', 1],
    ]);
  });

  test('a large bulk string in many chunks', () => {
    const payload = Buffer.alloc(1024 * 1024, 'x');
    payload[12345] = 0x0d;
    const wire = Buffer.concat([Buffer.from(`*2\r\n$${payload.length}\r\n`), payload, Buffer.from('\r\n:7\r\n')]);
    const cuts: number[] = [];
    for (let i = 1000; i < wire.length; i += 1000) cuts.push(i);
    const r = decodeChunks(splitAt(wire, cuts), RAW);
    expect(r.error).toBeUndefined();
    expect(r.events).toHaveLength(1);
    const [bulk, n] = r.events[0][1] as [Buffer, number];
    expect(bulk.equals(payload)).toBe(true);
    expect(n).toBe(7);
  });

  test('a large array in many chunks is linear, not re-parsed', () => {
    const n = 200_000;
    const wire = Buffer.from(`*${n}\r\n` + ':12345\r\n'.repeat(n));
    const cuts: number[] = [];
    for (let i = 7; i < wire.length; i += 13) cuts.push(i);
    const start = performance.now();
    const r = decodeChunks(splitAt(wire, cuts), RAW);
    const elapsed = performance.now() - start;
    expect(r.error).toBeUndefined();
    const arr = r.events[0][1] as number[];
    expect(arr).toHaveLength(n);
    expect(arr[n - 1]).toBe(12345);
    expect(elapsed).toBeLessThan(3000);
  });

  test('reset() drops partial state; a handler may reset mid-chunk', () => {
    const got: unknown[] = [];
    let resetOnce = true;
    const d: RespDecoder = new RespDecoder({
      replySettings: () => UTF8,
      pushSettings: () => UTF8,
      onReply: (v) => {
        got.push(v);
        if (resetOnce) {
          resetOnce = false;
          d.reset();
        }
      },
      onPush: () => {},
    });
    d.feed(Buffer.from('+a\r\n+ignored\r\n'));
    expect(got).toEqual(['a']);
    d.feed(Buffer.from('*2\r\n:1\r\n$5\r\nab'));
    d.reset();
    d.feed(Buffer.from(':9\r\n'));
    expect(got).toEqual(['a', 9]);
  });
});

function expectProtocolError(wire: Buffer | string, settings: DecodeSettings = RAW, maxBulkLength?: number): void {
  const buf = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  const r = decodeChunks([buf], settings, settings, maxBulkLength);
  expect(r.error).toBeInstanceOf(ProtocolError);
  const split = decodeChunks(bytewise(buf), settings, settings, maxBulkLength);
  expect(split.error).toBeInstanceOf(ProtocolError);
}

describe('RespDecoder hostile input', () => {
  test.each([
    ['unknown type byte', 'X1\r\n'],
    ['lowercase type byte', 'a\r\n'],
    ['negative bulk length', '$-2\r\n'],
    ['negative array length', '*-5\r\n'],
    ['null map', '%-1\r\n'],
    ['null set', '~-1\r\n'],
    ['null verbatim', '=-1\r\n'],
    ['non-digit length', '$1a\r\nx\r\n'],
    ['empty length', '*\r\n'],
    ['space in length', '$ 3\r\nabc\r\n'],
    ['missing CRLF after bulk', '$3\r\nabcd\r\n'],
    ['CR without LF', '+OK\rX'],
    ['bulk CR without LF', '$1\r\naXY'],
    ['length CR without LF', '$1\rX'],
    ['bad boolean', '#x\r\n'],
    ['boolean too long', '#tt\r\n'],
    ['null with payload', '_x\r\n'],
    ['integer without digits', ':\r\n'],
    ['integer with garbage', ':12a\r\n'],
    ['integer minus only', ':-\r\n'],
    ['integer plus only', ':+\r\n'],
    ['integer with two signs', ':+-1\r\n'],
    ['length with a plus sign', '*+1\r\n:1\r\n'],
    ['double garbage', ',abc\r\n'],
    ['double empty', ',\r\n'],
    ['double hex', ',0x10\r\n'],
    ['big number garbage', '(12x\r\n'],
    ['big number empty', '(\r\n'],
    ['verbatim without prefix', '=3\r\ntxt\r\n'],
    ['verbatim without colon', '=5\r\ntxtab\r\n'],
    ['end marker at top', '.\r\n'],
    ['end marker in a sized array', '*2\r\n:1\r\n.\r\n'],
    ['streamed map ending after a key', '%?\r\n+k\r\n.\r\n'],
    ['chunk outside a streamed string', ';3\r\nabc\r\n'],
    ['non-chunk inside a streamed string', '$?\r\n+x\r\n'],
    ['negative chunk length', '$?\r\n;-1\r\n'],
    ['streamed bulk error', '!?\r\n'],
  ])('%s', (_name, wire) => expectProtocolError(wire));

  test('a 99 GB bulk header is rejected at once, even before its CRLF', () => {
    const r = decodeChunks([Buffer.from('$99000000000\r\n')], RAW);
    expect(r.error).toBeInstanceOf(ProtocolError);
    const partial = decodeChunks([Buffer.from('$99000000000')], RAW);
    expect(partial.error).toBeInstanceOf(ProtocolError);
    expect(decodeChunks([Buffer.from('$4294967296000\r\n')], RAW).error).toBeInstanceOf(ProtocolError);
  });

  test('maxBulkLength is enforced for bulk, verbatim, bulk error and streamed strings', () => {
    expect(decodeChunks([Buffer.from('$10\r\n0123456789\r\n')], RAW, RAW, 10).error).toBeUndefined();
    expectProtocolError('$11\r\n', RAW, 10);
    expectProtocolError('=11\r\n', RAW, 10);
    expectProtocolError('!11\r\n', RAW, 10);
    expectProtocolError('$?\r\n;6\r\n012345\r\n;5\r\n', RAW, 10);
  });

  test('huge aggregate counts are rejected', () => {
    expectProtocolError('*99999999999999\r\n');
    expectProtocolError('%99999999999999\r\n');
  });

  test('a header line without CRLF is bounded', () => {
    const long = Buffer.alloc(70 * 1024, 'a');
    long[0] = 0x2b; // '+'
    expect(decodeChunks([long], RAW).error).toBeInstanceOf(ProtocolError);
    const chunks: Buffer[] = [];
    for (let i = 0; i < long.length; i += 1000) chunks.push(long.subarray(i, i + 1000));
    expect(decodeChunks(chunks, RAW).error).toBeInstanceOf(ProtocolError);
    // Long digit runs are cut off by the value limits long before that.
    expect(decodeChunks([Buffer.from(':' + '1'.repeat(70 * 1024))], RAW).error).toBeInstanceOf(ProtocolError);
  });

  test('a line just under the limit is fine, whole or split', () => {
    const text = 'e'.repeat(60 * 1024);
    const wire = Buffer.from(`-${text}\r\n`);
    const expected = [['reply', new ReplyError(text)]];
    expect(decodeChunks([wire], RAW).events).toStrictEqual(expected);
    const cuts = [1, 5000, 30000, wire.length - 2, wire.length - 1];
    expect(decodeChunks(splitAt(wire, cuts), RAW).events).toStrictEqual(expected);
  });

  test('1,000,000 nested arrays decode without a stack overflow', () => {
    const depth = 1_000_000;
    const wire = Buffer.from('*1\r\n'.repeat(depth) + ':42\r\n');
    const check = (value: unknown) => {
      let v = value;
      let ok = true;
      for (let i = 0; i < depth; i++) {
        ok &&= Array.isArray(v) && v.length === 1;
        v = (v as unknown[])[0];
      }
      expect(ok).toBe(true);
      expect(v).toBe(42);
    };
    const whole = decodeChunks([wire], RAW);
    expect(whole.error).toBeUndefined();
    check(whole.events[0][1]);
    // Split, with wrappers: a smaller depth keeps the test quick; the code path is the same.
    const smaller = 200_000;
    const wire2 = Buffer.from('*1\r\n'.repeat(smaller) + ':42\r\n');
    const cuts: number[] = [];
    for (let i = 3; i < wire2.length; i += 65536) cuts.push(i);
    const split = decodeChunks(splitAt(wire2, cuts), ATTRS);
    expect(split.error).toBeUndefined();
    let v = split.events[0][1];
    for (let i = 0; i < smaller; i++) v = ((v as RedisValue).data as unknown[])[0];
    expect(v).toStrictEqual(V('Number', 42));
  });

  test('truncated frames produce nothing and do not throw until more data arrives', () => {
    const frames = ['*2\r\n:1\r\n', '$10\r\nabc', '$3', '$3\r', '$3\r\nabc', '$3\r\nabc\r', '%1\r\n+k\r\n', '+OK', '+OK\r', ':12', ',1.5', '#', '#t', '#t\r', '_', '$?\r\n;2\r\nab\r\n', '*?\r\n:1\r\n', '|1\r\n+a\r\n+b\r\n', '>1\r\n'];
    for (const f of frames) {
      const r = decodeChunks(bytewise(Buffer.from(f)), RAW);
      expect({ f, ...r }).toEqual({ f, events: [], error: undefined });
    }
  });

  test('after a protocol error the decoder stays failed until reset()', () => {
    const got: unknown[] = [];
    const d = new RespDecoder({ replySettings: () => UTF8, pushSettings: () => UTF8, onReply: (v) => got.push(v), onPush: () => {} });
    expect(() => d.feed(Buffer.from('+a\r\n?\r\n+b\r\n'))).toThrow(ProtocolError);
    expect(got).toEqual(['a']);
    expect(() => d.feed(Buffer.from('+c\r\n'))).toThrow(ProtocolError);
    d.reset();
    d.feed(Buffer.from('+d\r\n'));
    expect(got).toEqual(['a', 'd']);
  });

  test('a throwing handler fails the decoder too', () => {
    const d = new RespDecoder({
      replySettings: () => UTF8,
      pushSettings: () => UTF8,
      onReply: () => {
        throw new Error('boom');
      },
      onPush: () => {},
    });
    expect(() => d.feed(Buffer.from('+a\r\n'))).toThrow('boom');
    expect(() => d.feed(Buffer.from('+b\r\n'))).toThrow(ProtocolError);
  });

  test('protocol error messages never quote reply bytes', () => {
    const r = decodeChunks([Buffer.from(',secret-password\r\n')], RAW);
    expect((r.error as Error).message).not.toContain('secret');
  });

  test('options are validated', () => {
    const h = { replySettings: () => RAW, pushSettings: () => RAW, onReply: () => {}, onPush: () => {} };
    expect(() => new RespDecoder(h, { maxBulkLength: -1 })).toThrow(RangeError);
    expect(() => new RespDecoder(h, { maxBulkLength: NaN })).toThrow(RangeError);
    expect(() => new RespDecoder(h, { maxBulkLength: undefined })).not.toThrow();
  });
});

describe('large bulk strings split across reads', () => {
  // Payloads below, at and above the 64 KiB read size, cut at uneven points.
  it.each([1000, 64 * 1024, 300 * 1024 + 7])('decodes a %i-byte payload cut into uneven reads, followed by another reply', (size) => {
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
    const wire = Buffer.concat([Buffer.from(`$${size}\r\n`), payload, Buffer.from('\r\n+NEXT\r\n')]);
    const chunks: Buffer[] = [];
    for (let pos = 0, step = 1; pos < wire.length; pos += step, step = (step * 7 + 3) % 65_537 || 1) {
      chunks.push(wire.subarray(pos, Math.min(wire.length, pos + step)));
    }
    expect(chunks.length).toBeGreaterThan(2);
    const { events, error } = decodeChunks(chunks, RAW);
    expect(error).toBeUndefined();
    expect(events).toHaveLength(2);
    expect(Buffer.compare(events[0][1] as Buffer, payload)).toBe(0);
    expect(events[1]).toEqual(['reply', Buffer.from('NEXT')]);
    const text = decodeChunks(chunks, UTF8);
    expect(text.events[0][1]).toBe(payload.toString('utf8'));
  });
});
