/**
 * Command encoding: RESP arrays of bulk strings, coalesced into few large writes.
 */
import type { CommandArg } from './types.js';

const CR = 0x0d;
const LF = 0x0a;
const DOLLAR = 0x24;
const STAR = 0x2a;
const MINUS = 0x2d;
/**
 * Coalescing buffers start small (an idle pooled connection should not hold much) and double
 * each time one fills, up to this size: busy connections then allocate rarely.
 */
const SCRATCH_MIN = 2 * 1024;
const SCRATCH_MAX = 64 * 1024;
/** Room for a `$<length>\r\n` or `*<count>\r\n` header (16 digits covers any array/Buffer length). */
const HEADER_ROOM = 20;
/** Short strings are checked for ASCII and copied char by char: cheaper than two native calls up to about 32 chars (measured). */
const ASCII_FAST_MAX = 32;
/**
 * Strings are copied whatever we do (encoding is a copy), so `cutoffSize` alone would only
 * add chunks for them; they go to the coalescing buffer up to this size even with a lower cutoff.
 */
const STRING_INLINE_MIN = 4096;

/** What the argument at `index` is, for error messages: never its value (it may be a secret). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  if (t === 'number') return 'NaN';
  if (t === 'object') {
    const name = (value as object).constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `an object (${name})` : 'an object';
  }
  return t === 'undefined' ? 'undefined' : `a ${t}`;
}

function invalidArg(index: number, value: unknown): TypeError {
  return new TypeError(
    `Invalid command argument at index ${index}: got ${describe(value)}; expected a string, Buffer, Uint8Array, number or bigint`,
  );
}

/**
 * Throws a `TypeError` naming the position and type of the first argument that cannot be
 * sent, or for an empty command. The message never contains an argument's value.
 */
export function assertCommandArgs(args: readonly unknown[]): asserts args is CommandArg[] {
  if (!Array.isArray(args)) throw new TypeError('A command must be an array of arguments');
  if (args.length === 0) throw new TypeError('A command needs at least one argument (its name)');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (typeof a) {
      case 'string':
      case 'bigint':
        continue;
      case 'number':
        if (a === a) continue; // NaN is the only value not equal to itself
        throw invalidArg(i, a);
      default:
        if (a instanceof Uint8Array) continue;
        throw invalidArg(i, a);
    }
  }
}

function digitCount(n: number): number {
  let d = 1;
  for (let p = 10; n >= p; p *= 10) d++;
  return d;
}

export interface CommandEncoderOptions {
  /** Buffer arguments longer than this are sent as their own chunk, without copying. */
  cutoffSize: number;
  /** Encoding of string arguments. */
  encoding: BufferEncoding;
}

/**
 * Accumulates encoded commands until `take()`.
 *
 * Small pieces are written into a scratch buffer that is used as a bump allocator: bytes are
 * only ever appended after `off`, and `take()` hands out views of the region written since the
 * last cut. A handed-out view is therefore never written again, with no copy and no allocation
 * per `take()`; a new scratch is allocated only when the current one is full (the old one lives
 * on until the socket is done with the views into it). That beats both copying chunks out and
 * allocating a fresh scratch per flush, which would cost one allocation per event-loop turn.
 */
export class CommandEncoder {
  private readonly cutoff: number;
  private readonly stringCutoff: number;
  private readonly encoding: BufferEncoding;
  private readonly utf8: boolean;
  private scratch: Buffer;
  /** Write position in `scratch`. */
  private off = 0;
  /** Start of the bytes of `scratch` not yet cut into `chunks`. */
  private cut = 0;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private nextSize = SCRATCH_MIN;

  constructor(options: CommandEncoderOptions) {
    const { cutoffSize, encoding } = options;
    if (typeof cutoffSize !== 'number' || !(cutoffSize >= 0)) throw new RangeError('cutoffSize must be a non-negative number');
    if (!Buffer.isEncoding(encoding)) throw new RangeError('encoder must be a Buffer encoding name');
    this.cutoff = cutoffSize;
    this.stringCutoff = Math.max(cutoffSize, STRING_INLINE_MIN);
    this.encoding = encoding;
    const e = encoding.toLowerCase();
    this.utf8 = e === 'utf8' || e === 'utf-8';
    this.scratch = Buffer.allocUnsafe(SCRATCH_MIN);
  }

  /** Bytes encoded and not yet taken. */
  get pendingBytes(): number {
    return this.chunkBytes + this.off - this.cut;
  }

  /**
   * Encodes one command. Arguments must have passed `assertCommandArgs`; if one still turns
   * out invalid, the TypeError leaves the encoder as it was before the call.
   */
  push(args: readonly CommandArg[]): void {
    const scratch = this.scratch;
    const off = this.off;
    const cut = this.cut;
    const chunkCount = this.chunks.length;
    const chunkBytes = this.chunkBytes;
    try {
      this.room(HEADER_ROOM);
      this.header(STAR, args.length);
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a === 'string') this.string(a);
        else if (typeof a === 'number') this.number(a, i);
        else if (typeof a === 'bigint') this.ascii(a.toString());
        else if (a instanceof Uint8Array) this.bytes(a);
        else throw invalidArg(i, a);
      }
    } catch (err) {
      // Bytes after `off` in the old scratch were never handed out, so rewinding is safe.
      this.scratch = scratch;
      this.off = off;
      this.cut = cut;
      this.chunks.length = chunkCount;
      this.chunkBytes = chunkBytes;
      throw err;
    }
  }

  /** The encoded bytes, in order, ready for `socket.write`; never modified afterwards. */
  take(): Buffer[] {
    this.cutHere();
    const out = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    return out;
  }

  private cutHere(): void {
    if (this.off > this.cut) {
      this.chunks.push(this.scratch.subarray(this.cut, this.off));
      this.chunkBytes += this.off - this.cut;
      this.cut = this.off;
    }
  }

  /** Makes sure `n` bytes can be written at `off`, moving to a new scratch if needed. */
  private room(n: number): void {
    if (this.scratch.length - this.off >= n) return;
    this.cutHere();
    if (this.nextSize < SCRATCH_MAX) this.nextSize *= 2;
    this.scratch = Buffer.allocUnsafe(Math.max(this.nextSize, n));
    this.off = 0;
    this.cut = 0;
  }

  /** Writes `<prefix><n>\r\n`; the caller ensured HEADER_ROOM. */
  private header(prefix: number, n: number): void {
    const buf = this.scratch;
    buf[this.off++] = prefix;
    this.uint(n, digitCount(n));
    buf[this.off++] = CR;
    buf[this.off++] = LF;
  }

  /** Writes a non-negative safe integer of `d` digits. */
  private uint(n: number, d: number): void {
    const buf = this.scratch;
    const start = this.off;
    for (let i = start + d - 1; i >= start; i--) {
      const q = Math.floor(n / 10);
      buf[i] = 0x30 + (n - q * 10);
      n = q;
    }
    this.off = start + d;
  }

  private crlf(): void {
    this.scratch[this.off++] = CR;
    this.scratch[this.off++] = LF;
  }

  private string(s: string): void {
    const n = s.length;
    if (this.utf8 && n <= ASCII_FAST_MAX) {
      this.room(HEADER_ROOM + n + 2);
      const buf = this.scratch;
      const start = this.off;
      this.header(DOLLAR, n);
      let o = this.off;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[o++] = c;
      }
      if (i === n) {
        buf[o++] = CR;
        buf[o++] = LF;
        this.off = o;
        return;
      }
      this.off = start; // not ASCII: the byte length differs from `n`
    }
    const len = Buffer.byteLength(s, this.encoding);
    if (len > this.stringCutoff) {
      this.large(Buffer.from(s, this.encoding));
      return;
    }
    this.room(HEADER_ROOM + len + 2);
    this.header(DOLLAR, len);
    this.off += this.scratch.write(s, this.off, len, this.encoding);
    this.crlf();
  }

  /** A string known to be ASCII (numbers as text). */
  private ascii(s: string): void {
    const n = s.length;
    this.room(HEADER_ROOM + n + 2);
    this.header(DOLLAR, n);
    const buf = this.scratch;
    let o = this.off;
    for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
    this.off = o;
    this.crlf();
  }

  private number(x: number, index: number): void {
    if (Number.isSafeInteger(x)) {
      const neg = x < 0;
      const u = neg ? -x : x;
      const d = digitCount(u);
      this.room(HEADER_ROOM + d + 3);
      this.header(DOLLAR, neg ? d + 1 : d);
      if (neg) this.scratch[this.off++] = MINUS;
      this.uint(u, d);
      this.crlf();
    } else if (x !== x) {
      throw invalidArg(index, x);
    } else if (x === Infinity) {
      this.ascii('inf');
    } else if (x === -Infinity) {
      this.ascii('-inf');
    } else if (Number.isInteger(x)) {
      // String(1e21) is '1e+21'; Redis integer arguments must be plain digits.
      this.ascii(BigInt(x).toString());
    } else {
      this.ascii(String(x));
    }
  }

  private bytes(a: Uint8Array): void {
    const len = a.byteLength;
    if (len > this.cutoff) {
      this.large(Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, len));
      return;
    }
    this.room(HEADER_ROOM + len + 2);
    this.header(DOLLAR, len);
    this.scratch.set(a, this.off);
    this.off += len;
    this.crlf();
  }

  /** A payload sent as its own chunk, not copied: header before it, CRLF after it. */
  private large(payload: Buffer): void {
    this.room(HEADER_ROOM);
    this.header(DOLLAR, payload.length);
    this.cutHere();
    this.chunks.push(payload);
    this.chunkBytes += payload.length;
    this.room(2);
    this.crlf();
  }
}
