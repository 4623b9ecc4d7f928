import fc from 'fast-check';
import type { DecodeSettings } from '../../../lib/core/resp/types.js';
import { ProtocolError } from '../../../lib/core/errors.js';
import { bytewise, canon, decodeChunks, same, encodeFrames, expectedEvents, splitAt, type Frame, type Pairs, type RespNode } from './resp-model.js';

const RAW: DecodeSettings = { decoder: null, attributes: false };
const UTF8: DecodeSettings = { decoder: 'utf8', attributes: false };
const ATTRS: DecodeSettings = { decoder: 'utf8', attributes: true };
const RAW_ATTRS: DecodeSettings = { decoder: null, attributes: true };
const LATIN1: DecodeSettings = { decoder: 'latin1', attributes: false };
const settingsArb = fc.constantFrom(RAW, UTF8, ATTRS, RAW_ATTRS, LATIN1);

const depth = { maxDepth: 3, depthIdentifier: 'resp' } as const;

const rawBytes = fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u));
/** Text worth decoding: ASCII, any Unicode, or arbitrary bytes (invalid UTF-8 included). */
const text = fc.oneof(fc.string({ maxLength: 8 }).map((s) => Buffer.from(s)), fc.string({ unit: 'grapheme', maxLength: 4 }).map((s) => Buffer.from(s)), rawBytes);
const lineText = text.map((b) => Buffer.from(b.filter((c) => c !== 0x0d && c !== 0x0a)));
const nonEmpty = text.filter((b) => b.length > 0);

const scalar: fc.Arbitrary<RespNode> = fc.oneof(
  lineText.map((v) => ({ k: 'simple' as const, v })),
  lineText.map((v) => ({ k: 'error' as const, v })),
  fc.oneof(fc.integer().map(BigInt), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((v) => ({ k: 'int' as const, v })),
  text.map((v) => ({ k: 'bulk' as const, v })),
  fc.array(nonEmpty, { maxLength: 3 }).map((parts) => ({ k: 'streamstr' as const, parts })),
  fc.tuple(fc.constantFrom('txt', 'mkd'), text).map(([fmt, v]) => ({ k: 'verbatim' as const, fmt, v })),
  text.map((v) => ({ k: 'bulkerr' as const, v })),
  fc.constantFrom<RespNode>({ k: 'nullbulk' }, { k: 'nullarray' }, { k: 'null' }),
  fc.double().map((v) => ({ k: 'double' as const, v })),
  fc.boolean().map((v) => ({ k: 'bool' as const, v })),
  fc.bigInt().map((v) => ({ k: 'big' as const, v })),
);

const { node } = fc.letrec<{ node: RespNode; aggregate: RespNode; attrs: { pairs: Pairs; streamed: boolean } }>((tie) => ({
  node: fc
    .tuple(fc.oneof({ ...depth, depthSize: 'small' }, scalar, tie('aggregate')), fc.option(tie('attrs'), { ...depth, freq: 8 }))
    .map(([n, attrs]) => (attrs === null ? n : { ...n, attrs: attrs.pairs, attrsStreamed: attrs.streamed })),
  aggregate: fc.oneof(
    fc.record({ k: fc.constantFrom('array' as const, 'set' as const, 'push' as const), items: fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'resp' }), streamed: fc.boolean() }),
    fc.record({ k: fc.constant('map' as const), entries: fc.array(fc.tuple(tie('node'), tie('node')), { maxLength: 2, depthIdentifier: 'resp' }), streamed: fc.boolean() }),
  ),
  attrs: fc.record({ pairs: fc.array(fc.tuple(tie('node'), tie('node')), { maxLength: 2, depthIdentifier: 'resp' }), streamed: fc.boolean() }),
}));

/** A top-level `>` is a push frame; servers send no attribute before one. */
const frame: fc.Arbitrary<Frame> = node.map((n) => (n.k === 'push' ? { node: { ...n, attrs: undefined }, push: true } : { node: n, push: false }));

/** Sorted unique cut points inside a buffer of length `len`, from arbitrary fractions. */
function cutsFor(len: number, fractions: number[]): number[] {
  const set = new Set<number>();
  for (const f of fractions) {
    const c = Math.floor(f * len);
    if (c > 0 && c < len) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

/** Wires up to this long are split at every index; longer ones at this many spread-out indexes. */
const MAX_SPLITS = 48;
const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('RespDecoder properties', () => {
  test('any RESP3 value decodes to its mapping, however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 3 }), settingsArb, settingsArb, fractions, (frames, reply, push, fr) => {
        const wire = encodeFrames(frames);
        const expected = expectedEvents(frames, reply, push);
        const whole = decodeChunks([wire], reply, push);
        expect(whole).toStrictEqual({ events: expected, error: undefined });

        // Every split point; for long wires a spread of them (offset by the run) keeps the time linear.
        const step = Math.max(1, Math.floor(wire.length / MAX_SPLITS));
        for (let i = 1 + (fr.length % step); i < wire.length; i += step) {
          const r = decodeChunks(splitAt(wire, [i]), reply, push);
          if (r.error !== undefined || !same(r.events, expected)) {
            throw new Error(`split at ${i} of ${JSON.stringify(wire.toString('latin1'))}: ${String(r.error)}\n${canon(r.events)}\n!==\n${canon(expected)}`);
          }
        }
        const random = decodeChunks(splitAt(wire, cutsFor(wire.length, fr)), reply, push);
        expect(random.error).toBeUndefined();
        expect(canon(random.events)).toBe(canon(expected));
      }),
      { numRuns: 1000 },
    );
  });

  test('byte by byte, every value', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 4 }), settingsArb, (frames, settings) => {
        const wire = encodeFrames(frames);
        const r = decodeChunks(bytewise(wire), settings);
        expect(r.error).toBeUndefined();
        expect(canon(r.events)).toBe(canon(expectedEvents(frames, settings, settings)));
      }),
      { numRuns: 300 },
    );
  });
});

/** Decodes whole and split; checks the only exception type is ProtocolError and that chunking never changes results. */
function checkHostile(wire: Buffer, fr: number[]): void {
  const whole = decodeChunks([wire], ATTRS);
  const split = decodeChunks(splitAt(wire, cutsFor(wire.length, fr)), ATTRS);
  const bytes = decodeChunks(bytewise(wire), ATTRS);
  for (const r of [whole, split, bytes]) {
    if (r.error !== undefined && !(r.error instanceof ProtocolError)) throw r.error;
  }
  // A line is judged once complete, so a split decode may still be waiting where the whole one
  // already failed on a bad byte; it never fails where the whole one does not, and never differs.
  if (whole.error === undefined) {
    expect(split.error).toBeUndefined();
    expect(bytes.error).toBeUndefined();
  }
  expect(canon(split.events)).toBe(canon(whole.events));
  expect(canon(bytes.events)).toBe(canon(whole.events));
}

const respish = fc
  .array(fc.constantFrom(...Buffer.from('+-:$*_,#(!=%~|>;.?\r\n\r\n\r\n0123456789-tfainx')), { maxLength: 120 })
  .map((a) => Buffer.from(a));

describe('RespDecoder hostile properties', () => {
  test('random bytes: a valid decode or a ProtocolError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), respish), fractions, checkHostile),
      { numRuns: 1500 },
    );
  });

  test('mutated valid frames: a valid decode or a ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 2 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('replace', 'delete', 'insert', 'truncate'), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fractions,
        (frames, mutations, fr) => {
          let wire = encodeFrames(frames);
          for (const [where, how, byte] of mutations) {
            const at = Math.min(wire.length - 1, Math.floor(where * wire.length));
            if (at < 0) break;
            if (how === 'replace') wire[at] = byte;
            else if (how === 'delete') wire = Buffer.concat([wire.subarray(0, at), wire.subarray(at + 1)]);
            else if (how === 'insert') wire = Buffer.concat([wire.subarray(0, at), Buffer.of(byte), wire.subarray(at)]);
            else wire = wire.subarray(0, at);
          }
          checkHostile(Buffer.from(wire), fr);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
