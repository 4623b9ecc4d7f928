/**
 * Streaming RESP2/RESP3 decoder.
 *
 * The parse state survives between `feed` calls: aggregates under construction live on an
 * explicit stack (so nesting depth costs heap, never call stack), a header line cut by a
 * chunk boundary is kept in a small bounded buffer, and a bulk payload cut by a boundary
 * is collected as chunk views and joined once. Nothing is ever re-parsed from the start of
 * a frame, so a large reply arriving in many chunks costs linear time.
 */
import { ProtocolError } from '../errors.js';
import { constants as bufferConstants } from 'node:buffer';
import { CR, LF, T_ARRAY, T_ATTRIBUTE, T_BIGNUM, T_BOOLEAN, T_BULK, T_BULK_ERROR, T_CHUNK, T_DOUBLE, T_END, T_ERROR, T_INTEGER, T_MAP, T_NULL, T_PUSH, T_SET, T_SIMPLE, T_VERBATIM, aggregateTypeName, parseBigNumber, parseDouble, protocolError, replyError, INCOMPLETE, STREAMED, expectCrlf, findLineEnd, parseInteger, parseLength, type LineOut } from './decode-scalars.js';
import { RedisValue, type DecoderHandlers, type DecoderOptions, type ReplyDecoder, type RespTypeName } from './types.js';

const DEFAULT_MAX_BULK = 512 * 1024 * 1024;
const DEFAULT_MAX_LINE = 64 * 1024;
/** Redis aggregates are bounded by 2^32 elements; larger counts can only be hostile. */
const MAX_AGGREGATE = 2 ** 32;
/**
 * `new Array(n)` beyond this makes V8 choose slow dictionary elements; bigger arrays are
 * grown by appending instead (stores at `length` are as fast as push).
 */
const PREALLOCATE_MAX = 1024;

type AggregateData = unknown[] | Map<unknown, unknown> | Set<unknown>;

/** An aggregate under construction. One class, so every frame has the same shape. */
class Frame {
  /** Next array slot. */
  idx = 0;
  /** A map key waiting for its value. */
  key: unknown = undefined;
  hasKey = false;
  constructor(
    readonly kind: number,
    /** Children still expected (map entries count twice); -1 when streamed (ends at `.`). */
    public remaining: number,
    readonly data: AggregateData,
    readonly attrs: Map<unknown, unknown> | null,
  ) {}
}

export class RespDecoder implements LineOut {
  private readonly maxBulk: number;
  private readonly maxLine: number;

  private readonly stack: Frame[] = [];
  /** A top-level frame has started (its settings are fetched). */
  private inFrame = false;
  private topIsPush = false;
  /** A top-level attribute has completed; the frame's value follows. */
  private afterTopAttr = false;
  private dec: ReplyDecoder = null;
  private withAttrs = false;
  /** An attribute map waiting for the value it describes (only kept when `withAttrs`). */
  private pendingAttrs: Map<unknown, unknown> | null = null;

  /** A header line cut by a chunk boundary. */
  private lineBuf: Buffer | null = null;
  private lineLen = 0;

  /** Bulk payload in progress: `bulkLeft` payload bytes still to come, -1 when not in a bulk. */
  private bulkLeft = -1;
  private bulkKind = 0;
  private bulkLen = 0;
  private crlfSeen = 0;
  private bulkParts: Buffer[] = [];

  /** Parts of a streamed string (`$?`), or null when not in one. */
  private strParts: Buffer[] | null = null;
  private strLen = 0;
  private strAttrs: Map<unknown, unknown> | null = null;

  /** @internal Results of the line parsers (see LineOut): fields, so no result object per line. */
  num = 0;
  int: number | bigint = 0;
  private failure: Error | null = null;
  /** Bumped by `reset()` so a feed interrupted by a handler's reset stops. */
  private epoch = 0;

  constructor(
    private readonly handlers: DecoderHandlers,
    options: DecoderOptions = {},
  ) {
    const max = options.maxBulkLength ?? DEFAULT_MAX_BULK;
    if (typeof max !== 'number' || !(max >= 0)) throw new RangeError('maxBulkLength must be a non-negative number');
    this.maxBulk = Math.min(max, bufferConstants.MAX_LENGTH, Number.MAX_SAFE_INTEGER);
    const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE;
    if (typeof maxLine !== 'number' || !(maxLine >= 16)) throw new RangeError('maxLineLength must be a number >= 16');
    this.maxLine = Math.min(maxLine, bufferConstants.MAX_LENGTH - 2);
  }

  /**
   * Decodes as much of `chunk` as possible, calling the handlers for every complete frame.
   * Throws `ProtocolError` on invalid bytes; after any throw (including one from a handler)
   * every later call throws until `reset()`, since the stream position is lost.
   *
   * With `decoder: null`, Buffers handed out are views into `chunk`, not copies. That is safe
   * because Node never reuses a socket read buffer once it is emitted (sockets must not be
   * created with the `onread` option, which does reuse one). A small view keeps its whole
   * chunk alive; that is the price of zero-copy replies.
   */
  feed(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    try {
      this.run(chunk);
    } catch (err) {
      this.failure = err instanceof ProtocolError ? err : new ProtocolError(`Decoder stopped after an error: ${(err as Error)?.message ?? String(err)}`);
      throw err;
    }
  }

  /** Forgets all state (partial frames, failure); the next byte must start a new frame. */
  reset(): void {
    this.epoch++;
    this.stack.length = 0;
    this.inFrame = false;
    this.topIsPush = false;
    this.afterTopAttr = false;
    this.pendingAttrs = null;
    this.lineLen = 0;
    this.bulkLeft = -1;
    this.crlfSeen = 0;
    this.bulkParts = [];
    this.strParts = null;
    this.strAttrs = null;
    this.failure = null;
  }

  private run(buf: Buffer): void {
    const end = buf.length;
    const epoch = this.epoch;
    let pos = 0;
    while (pos < end && this.epoch === epoch) {
      if (this.bulkLeft >= 0) pos = this.readBulk(buf, pos, end);
      else if (this.lineLen > 0) pos = this.resumeLine(buf, pos, end);
      else {
        const next = this.parseLine(buf, pos, end);
        if (next === INCOMPLETE) {
          this.saveLine(buf, pos, end);
          return;
        }
        pos = next;
      }
    }
  }

  // --- lines -----------------------------------------------------------------------------

  /**
   * Parses the line starting at `p` (its type byte). Returns the index after the line, or
   * INCOMPLETE without changing decode state (other than fetching the frame's settings) when
   * the line runs past `end`. A line always ends at its first CR, which must be followed by LF,
   * so a line completed by `resumeLine` (which stops one byte after the first CR) never comes
   * back INCOMPLETE.
   */
  private parseLine(buf: Buffer, p: number, end: number): number {
    const t = buf[p];
    if (!this.inFrame) this.startFrame(t);
    else if (this.afterTopAttr && this.stack.length === 0) this.afterTopAttribute(t);
    if (this.strParts !== null && t !== T_CHUNK) throw protocolError('expected a streamed string part');
    switch (t) {
      case T_SIMPLE: {
        const cr = findLineEnd(buf, p, end, this.maxLine);
        if (cr === INCOMPLETE) return INCOMPLETE;
        this.emit(this.str(buf, p + 1, cr), 'String');
        return cr + 2;
      }
      case T_ERROR: {
        const cr = findLineEnd(buf, p, end, this.maxLine);
        if (cr === INCOMPLETE) return INCOMPLETE;
        this.emit(replyError(buf, p + 1, cr), 'Error');
        return cr + 2;
      }
      case T_INTEGER: {
        const next = parseInteger(this, buf, p, end, this.maxLine);
        if (next !== INCOMPLETE) this.emit(this.int, 'Number');
        return next;
      }
      case T_BULK:
      case T_VERBATIM:
      case T_BULK_ERROR: {
        const next = parseLength(this, buf, p + 1, end, this.maxBulk);
        if (next === INCOMPLETE) return INCOMPLETE;
        const n = this.num;
        if (n < 0) {
          if (t !== T_BULK) throw protocolError('negative length');
          if (n === STREAMED) this.startStreamedString();
          else this.emit(null, 'Null');
        } else {
          this.bulkKind = t;
          this.bulkLen = n;
          this.bulkLeft = n;
        }
        return next;
      }
      case T_ARRAY:
      case T_MAP:
      case T_SET:
      case T_PUSH:
      case T_ATTRIBUTE: {
        const next = parseLength(this, buf, p + 1, end, MAX_AGGREGATE);
        if (next === INCOMPLETE) return INCOMPLETE;
        this.openAggregate(t, this.num);
        return next;
      }
      case T_NULL: {
        const next = expectCrlf(buf, p + 1, end);
        if (next !== INCOMPLETE) this.emit(null, 'Null');
        return next;
      }
      case T_BOOLEAN: {
        if (p + 1 >= end) return INCOMPLETE;
        const c = buf[p + 1];
        if (c !== 0x74 && c !== 0x66) throw protocolError('malformed boolean');
        const next = expectCrlf(buf, p + 2, end);
        if (next !== INCOMPLETE) this.emit(c === 0x74, 'Boolean');
        return next;
      }
      case T_DOUBLE: {
        const cr = findLineEnd(buf, p, end, this.maxLine);
        if (cr === INCOMPLETE) return INCOMPLETE;
        this.emit(parseDouble(buf, p + 1, cr), 'Double');
        return cr + 2;
      }
      case T_BIGNUM: {
        const cr = findLineEnd(buf, p, end, this.maxLine);
        if (cr === INCOMPLETE) return INCOMPLETE;
        this.emit(parseBigNumber(buf, p + 1, cr), 'BigNumber');
        return cr + 2;
      }
      case T_CHUNK:
        return this.parseChunkHeader(buf, p, end);
      case T_END: {
        const next = expectCrlf(buf, p + 1, end);
        if (next !== INCOMPLETE) this.endStreamedAggregate();
        return next;
      }
      default:
        throw protocolError(`unknown type byte 0x${t.toString(16).padStart(2, '0')}`);
    }
  }

  /** Keeps the start of a line cut by the end of a chunk. */
  private saveLine(buf: Buffer, p: number, end: number): void {
    const n = end - p;
    if (n > this.maxLine + 1) throw protocolError('header line too long');
    let line = this.lineBuf;
    if (line === null || line.length < n) line = this.lineBuf = Buffer.allocUnsafe(Math.max(n * 2, 128));
    buf.copy(line, 0, p, end);
    this.lineLen = n;
  }

  /** Adds bytes to a cut line up to one byte past its first CR, then parses it. */
  private resumeLine(buf: Buffer, pos: number, end: number): number {
    let line = this.lineBuf!;
    const have = this.lineLen;
    let stop: number;
    if (line[have - 1] === CR) stop = pos + 1;
    else {
      const cr = buf.indexOf(CR, pos);
      stop = cr === -1 || cr + 1 >= end ? end : cr + 2;
    }
    const total = have + (stop - pos);
    if (total > this.maxLine + 2) throw protocolError('header line too long');
    if (line.length < total) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(total, line.length * 2), this.maxLine + 2));
      line.copy(grown, 0, 0, have);
      line = this.lineBuf = grown;
    }
    buf.copy(line, have, pos, stop);
    this.lineLen = total;
    if (line[total - 2] !== CR) return stop;
    this.lineLen = 0;
    // A copy, not the scratch line: `+` strings with decoder null are views of what we parse.
    const complete = Buffer.from(line.subarray(0, total));
    if (this.parseLine(complete, 0, total) !== total) throw protocolError('malformed line');
    return stop;
  }

  // --- bulk payloads -----------------------------------------------------------------------

  private readBulk(buf: Buffer, pos: number, end: number): number {
    let left = this.bulkLeft;
    if (left === this.bulkLen && this.crlfSeen === 0) {
      // Nothing collected yet: decode straight from this chunk if the payload is all here.
      const stop = pos + left;
      if (stop + 2 <= end) {
        if (buf[stop] !== CR || buf[stop + 1] !== LF) throw protocolError('bulk payload not followed by CRLF');
        this.bulkLeft = -1;
        this.bulkDone(buf, pos, stop);
        return stop + 2;
      }
    }
    if (left > 0) {
      const take = Math.min(left, end - pos);
      this.bulkParts.push(buf.subarray(pos, pos + take));
      pos += take;
      left = this.bulkLeft = left - take;
      if (left > 0) return pos;
    }
    while (pos < end && this.crlfSeen < 2) {
      if (buf[pos] !== (this.crlfSeen === 0 ? CR : LF)) throw protocolError('bulk payload not followed by CRLF');
      this.crlfSeen++;
      pos++;
    }
    if (this.crlfSeen < 2) return pos;
    const parts = this.bulkParts;
    const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts, this.bulkLen);
    this.bulkParts = [];
    this.bulkLeft = -1;
    this.crlfSeen = 0;
    this.bulkDone(payload, 0, payload.length);
    return pos;
  }

  private bulkDone(buf: Buffer, start: number, stop: number): void {
    switch (this.bulkKind) {
      case T_BULK:
        this.emit(this.str(buf, start, stop), 'String');
        break;
      case T_VERBATIM:
        if (stop - start < 4 || buf[start + 3] !== 0x3a) throw protocolError('verbatim string without a format prefix');
        this.emit(this.str(buf, start + 4, stop), 'VerbatimString');
        break;
      case T_BULK_ERROR:
        this.emit(replyError(buf, start, stop), 'Error');
        break;
      default: // T_CHUNK
        this.strParts!.push(buf.subarray(start, stop));
        this.strLen += stop - start;
    }
  }

  private str(buf: Buffer, start: number, stop: number): Buffer | string {
    return this.dec === null ? buf.subarray(start, stop) : buf.toString(this.dec, start, stop);
  }

  // --- streamed strings --------------------------------------------------------------------

  private startStreamedString(): void {
    this.strParts = [];
    this.strLen = 0;
    this.strAttrs = this.pendingAttrs;
    this.pendingAttrs = null;
  }

  private parseChunkHeader(buf: Buffer, p: number, end: number): number {
    if (this.strParts === null) throw protocolError('streamed string part outside a streamed string');
    const next = parseLength(this, buf, p + 1, end, this.maxBulk);
    if (next === INCOMPLETE) return INCOMPLETE;
    const n = this.num;
    if (n < 0) throw protocolError('negative length');
    if (n === 0) {
      const parts = this.strParts;
      this.strParts = null;
      this.pendingAttrs = this.strAttrs;
      this.strAttrs = null;
      const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts, this.strLen);
      this.emit(this.str(whole, 0, whole.length), 'String');
    } else {
      if (this.strLen + n > this.maxBulk) throw protocolError(`length over the limit of ${this.maxBulk}`);
      this.bulkKind = T_CHUNK;
      this.bulkLen = n;
      this.bulkLeft = n;
    }
    return next;
  }

  // --- aggregates ----------------------------------------------------------------------------

  private openAggregate(kind: number, n: number): void {
    if (n === -1) {
      if (kind !== T_ARRAY) throw protocolError('negative length');
      this.emit(null, 'Null');
      return;
    }
    const keyed = kind === T_MAP || kind === T_ATTRIBUTE;
    if (n === 0) {
      if (kind === T_ATTRIBUTE) this.attributeDone(new Map());
      else this.emit(keyed ? new Map() : kind === T_SET ? new Set() : [], aggregateTypeName(kind));
      return;
    }
    const streamed = n === STREAMED;
    const data: AggregateData = keyed ? new Map() : kind === T_SET ? new Set() : streamed || n > PREALLOCATE_MAX ? [] : new Array(n);
    this.stack.push(new Frame(kind, streamed ? -1 : keyed ? 2 * n : n, data, this.pendingAttrs));
    this.pendingAttrs = null;
  }

  private endStreamedAggregate(): void {
    const stack = this.stack;
    const f = stack.length === 0 ? null : stack[stack.length - 1];
    if (f === null || f.remaining !== -1) throw protocolError('end marker outside a streamed aggregate');
    if (f.hasKey) throw protocolError('streamed map ended after a key');
    this.pendingAttrs = null;
    stack.pop();
    if (f.kind === T_ATTRIBUTE) this.attributeDone(f.data as Map<unknown, unknown>);
    else this.add(this.withAttrs ? new RedisValue(aggregateTypeName(f.kind), f.data, f.attrs) : f.data);
  }

  private attributeDone(attrs: Map<unknown, unknown>): void {
    // With attributes off they are parsed (to stay in sync) and dropped here.
    if (this.withAttrs) this.pendingAttrs = attrs;
    if (this.stack.length === 0) this.afterTopAttr = true;
  }

  // --- values --------------------------------------------------------------------------------

  private startFrame(t: number): void {
    this.inFrame = true;
    const push = t === T_PUSH;
    this.topIsPush = push;
    const s = push ? this.handlers.pushSettings() : this.handlers.replySettings();
    this.dec = s.decoder;
    this.withAttrs = s.attributes;
  }

  /** The value after a top-level attribute: a push frame switches to push settings. */
  private afterTopAttribute(t: number): void {
    this.afterTopAttr = false;
    if (t !== T_PUSH) return;
    this.topIsPush = true;
    const s = this.handlers.pushSettings();
    this.dec = s.decoder;
    if (!s.attributes) this.pendingAttrs = null;
    this.withAttrs = s.attributes;
  }

  private emit(value: unknown, type: RespTypeName): void {
    if (this.withAttrs) {
      const attrs = this.pendingAttrs;
      this.pendingAttrs = null;
      // A top-level error stays bare: callers reject with it, whatever the settings.
      if (type !== 'Error' || this.stack.length !== 0) value = new RedisValue(type, value, attrs);
    }
    this.add(value);
  }

  /** Adds a complete value to the innermost aggregate, completing parents iteratively. */
  private add(value: unknown): void {
    const stack = this.stack;
    let v = value;
    while (stack.length !== 0) {
      const f = stack[stack.length - 1];
      switch (f.kind) {
        case T_MAP:
        case T_ATTRIBUTE:
          if (f.hasKey) {
            (f.data as Map<unknown, unknown>).set(f.key, v);
            f.key = undefined;
            f.hasKey = false;
          } else {
            f.key = v;
            f.hasKey = true;
          }
          break;
        case T_SET:
          (f.data as Set<unknown>).add(v);
          break;
        default:
          (f.data as unknown[])[f.idx++] = v;
      }
      if (f.remaining < 0 || --f.remaining !== 0) return;
      stack.pop();
      if (f.kind === T_ATTRIBUTE) {
        this.attributeDone(f.data as Map<unknown, unknown>);
        return;
      }
      v = this.withAttrs ? new RedisValue(aggregateTypeName(f.kind), f.data, f.attrs) : f.data;
    }
    this.inFrame = false;
    this.afterTopAttr = false;
    if (this.topIsPush) {
      this.topIsPush = false;
      this.handlers.onPush(v);
    } else {
      this.handlers.onReply(v);
    }
  }
}
