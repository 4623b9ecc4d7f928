/**
 * Byte-level pieces of the RESP decoder that hold no state: type bytes, header-line parsers
 * (numbers parsed from bytes, no `toString`), and the slow-path scalar parsers for text rare
 * enough on the wire that a `toString` is acceptable (doubles, big numbers, integers that do
 * not fit in 15 digits).
 */
import { ProtocolError, ReplyError } from '../errors.js';
import type { RespTypeName } from './types.js';

export const CR = 0x0d;
export const LF = 0x0a;

export const T_SIMPLE = 0x2b; // +
export const T_ERROR = 0x2d; // -
export const T_INTEGER = 0x3a; // :
export const T_BULK = 0x24; // $
export const T_ARRAY = 0x2a; // *
export const T_NULL = 0x5f; // _
export const T_DOUBLE = 0x2c; // ,
export const T_BOOLEAN = 0x23; // #
export const T_BIGNUM = 0x28; // (
export const T_BULK_ERROR = 0x21; // !
export const T_VERBATIM = 0x3d; // =
export const T_MAP = 0x25; // %
export const T_SET = 0x7e; // ~
export const T_ATTRIBUTE = 0x7c; // |
export const T_PUSH = 0x3e; // >
export const T_CHUNK = 0x3b; // ; (a part of a streamed string)
export const T_END = 0x2e; // . (end of a streamed aggregate)

/** The wrapper type name of a completed aggregate. */
export function aggregateTypeName(kind: number): RespTypeName {
  return kind === T_MAP ? 'Map' : kind === T_SET ? 'Set' : kind === T_PUSH ? 'Push' : 'Array';
}

/**
 * Messages never quote reply bytes: a reply may carry a value the user stored (a token,
 * a password in a config dump), and protocol errors end up in logs.
 */
export function protocolError(what: string): ProtocolError {
  return new ProtocolError(`Invalid RESP from server: ${what}`);
}

/**
 * A server error reply. Its stack would only show the decoder's frames (useless to the caller,
 * whose own stack is long gone) and capturing it is the main cost of an error reply, so none
 * is captured; upper layers may attach the caller's.
 */
export function replyError(buf: Buffer, start: number, end: number): ReplyError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ReplyError(buf.toString('utf8', start, end));
  } finally {
    Error.stackTraceLimit = limit;
  }
}

// The grammar the RESP3 spec allows; `Number()` alone would also accept '', ' 1', '0x10', 'Infinity'.
const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_RE = /^[+-]?\d+$/;

export function parseDouble(buf: Buffer, start: number, end: number): number {
  const text = buf.toString('latin1', start, end);
  switch (text) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
    case '+nan':
      return NaN;
  }
  if (!DOUBLE_RE.test(text)) throw protocolError('malformed double');
  return Number(text);
}

export function parseBigNumber(buf: Buffer, start: number, end: number): bigint {
  const text = buf.toString('latin1', start, end);
  if (!INTEGER_RE.test(text)) throw protocolError('malformed big number');
  return BigInt(text);
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer reply too long for exact accumulation in a double: exact via BigInt, a number again when safe. */
export function parseLongInteger(buf: Buffer, start: number, end: number): number | bigint {
  const big = parseBigNumber(buf, start, end);
  return big >= MIN_SAFE && big <= MAX_SAFE ? Number(big) : big;
}

// --- line parsers: each returns the index after the line, or INCOMPLETE if it runs past `end` ---

/** Returned by the line parsers when the line is not complete yet. */
export const INCOMPLETE = -1;
/** `out.num` after a length of `?` (a streamed string or aggregate). */
export const STREAMED = -2;

/** Where the line parsers put their number (the decoder itself: no result object per line). */
export interface LineOut {
  num: number;
  int: number | bigint;
}

/** Index after a CRLF expected at `i`, or INCOMPLETE. */
export function expectCrlf(buf: Buffer, i: number, end: number): number {
  if (i >= end) return INCOMPLETE;
  if (buf[i] !== CR) throw protocolError('expected CRLF');
  if (i + 1 >= end) return INCOMPLETE;
  if (buf[i + 1] !== LF) throw protocolError('expected LF after CR');
  return i + 2;
}

/** Index of the CR ending the line that starts at `p`, or INCOMPLETE. Bounded by `maxLine`. */
export function findLineEnd(buf: Buffer, p: number, end: number, maxLine: number): number {
  const limit = p + maxLine;
  const stop = end < limit ? end : limit;
  let i = p + 1;
  while (i < stop && buf[i] !== CR) i++;
  if (i === stop) {
    if (stop === limit) throw protocolError('header line too long');
    return INCOMPLETE;
  }
  if (i + 1 >= end) return INCOMPLETE;
  if (buf[i + 1] !== LF) throw protocolError('expected LF after CR');
  return i;
}

/** `:` integers into `out.int`: digits accumulated in a double while exact (15 digits), BigInt beyond. */
export function parseInteger(out: LineOut, buf: Buffer, p: number, end: number, maxLine: number): number {
  let i = p + 1;
  if (i >= end) return INCOMPLETE;
  // The spec allows an explicit sign either way (`:+1`); only '-' changes the value.
  const neg = buf[i] === 0x2d;
  if (neg || buf[i] === 0x2b) i++;
  const digits = i;
  const limit = p + maxLine;
  const stop = end < limit ? end : limit;
  let n = 0;
  let c = 0;
  while (i < stop) {
    c = buf[i];
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    i++;
  }
  if (i === stop) {
    if (stop === limit) throw protocolError('header line too long');
    return INCOMPLETE;
  }
  if (i === digits || c !== CR) throw protocolError('malformed integer');
  if (i + 1 >= end) return INCOMPLETE;
  if (buf[i + 1] !== LF) throw protocolError('expected LF after CR');
  // `0 - n` rather than `-n`: ':-0' must decode to 0, not -0.
  out.int = i - digits <= 15 ? (neg ? 0 - n : n) : parseLongInteger(buf, p + 1, i);
  return i + 2;
}

/**
 * A length after a type byte: digits (rejected as soon as they exceed `max`, before the
 * line is even complete), into `out.num`: or `-1`, or `?` (STREAMED).
 */
export function parseLength(out: LineOut, buf: Buffer, start: number, end: number, max: number): number {
  if (start >= end) return INCOMPLETE;
  let c = buf[start];
  if (c === 0x2d) {
    if (start + 1 >= end) return INCOMPLETE;
    if (buf[start + 1] !== 0x31) throw protocolError('negative length');
    out.num = -1;
    return expectCrlf(buf, start + 2, end);
  }
  if (c === 0x3f) {
    out.num = STREAMED;
    return expectCrlf(buf, start + 1, end);
  }
  let i = start;
  let n = 0;
  while (i < end) {
    c = buf[i];
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    if (n > max) throw protocolError(`length over the limit of ${max}`);
    i++;
  }
  if (i >= end) return INCOMPLETE;
  if (i === start || c !== CR) throw protocolError('malformed length');
  if (i + 1 >= end) return INCOMPLETE;
  if (buf[i + 1] !== LF) throw protocolError('expected LF after CR');
  out.num = n;
  return i + 2;
}
