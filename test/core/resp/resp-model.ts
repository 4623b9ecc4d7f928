/**
 * Test-side model of RESP replies: a server-like encoder (node → bytes), the JS value the
 * decoder should produce for each node, a decode helper that feeds arbitrary chunkings,
 * and a canonical string form for fast comparisons across many chunkings.
 */
import { RespDecoder } from '../../../lib/core/resp/decoder.js';
import { RedisValue, type DecodeSettings, type RespTypeName } from '../../../lib/core/resp/types.js';
import { ReplyError } from '../../../lib/core/errors.js';

export type Pairs = [RespNode, RespNode][];

export type RespNode = (
  | { k: 'simple'; v: Buffer }
  | { k: 'error'; v: Buffer }
  | { k: 'int'; v: bigint }
  | { k: 'bulk'; v: Buffer }
  | { k: 'streamstr'; parts: Buffer[] }
  | { k: 'verbatim'; fmt: string; v: Buffer }
  | { k: 'bulkerr'; v: Buffer }
  | { k: 'nullbulk' }
  | { k: 'nullarray' }
  | { k: 'null' }
  | { k: 'double'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'big'; v: bigint }
  | { k: 'array' | 'set' | 'push'; items: RespNode[]; streamed: boolean }
  | { k: 'map'; entries: Pairs; streamed: boolean }
) & { attrs?: Pairs | undefined; attrsStreamed?: boolean };

export interface Frame {
  node: RespNode;
  push: boolean;
}

const crlf = '\r\n';

function doubleText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** Encodes like a RESP3 server would. */
export function encodeNode(node: RespNode, out: Buffer[] = []): Buffer[] {
  const s = (text: string) => out.push(Buffer.from(text, 'latin1'));
  const bulk = (prefix: string, v: Buffer) => {
    s(`${prefix}${v.length}${crlf}`);
    out.push(v);
    s(crlf);
  };
  const aggregate = (prefix: string, count: number, streamed: boolean, children: RespNode[]) => {
    s(streamed ? `${prefix}?${crlf}` : `${prefix}${count}${crlf}`);
    for (const c of children) encodeNode(c, out);
    if (streamed) s(`.${crlf}`);
  };
  if (node.attrs !== undefined) aggregate('|', node.attrs.length, node.attrsStreamed === true, node.attrs.flat());
  switch (node.k) {
    case 'simple':
    case 'error':
      s(node.k === 'simple' ? '+' : '-');
      out.push(node.v);
      s(crlf);
      break;
    case 'int':
      s(`:${node.v}${crlf}`);
      break;
    case 'bulk':
      bulk('$', node.v);
      break;
    case 'bulkerr':
      bulk('!', node.v);
      break;
    case 'verbatim':
      bulk('=', Buffer.concat([Buffer.from(`${node.fmt}:`), node.v]));
      break;
    case 'streamstr':
      s(`$?${crlf}`);
      for (const p of node.parts) bulk(';', p);
      s(`;0${crlf}`);
      break;
    case 'nullbulk':
      s(`$-1${crlf}`);
      break;
    case 'nullarray':
      s(`*-1${crlf}`);
      break;
    case 'null':
      s(`_${crlf}`);
      break;
    case 'double':
      s(`,${doubleText(node.v)}${crlf}`);
      break;
    case 'bool':
      s(`#${node.v ? 't' : 'f'}${crlf}`);
      break;
    case 'big':
      s(`(${node.v}${crlf}`);
      break;
    case 'array':
      aggregate('*', node.items.length, node.streamed, node.items);
      break;
    case 'set':
      aggregate('~', node.items.length, node.streamed, node.items);
      break;
    case 'push':
      aggregate('>', node.items.length, node.streamed, node.items);
      break;
    case 'map':
      aggregate('%', node.entries.length, node.streamed, node.entries.flat());
      break;
  }
  return out;
}

export function encodeFrames(frames: Frame[]): Buffer {
  const out: Buffer[] = [];
  for (const f of frames) encodeNode(f.node, out);
  return Buffer.concat(out);
}

/** The JS value the decoder must produce for `node` under `settings`. */
export function expectedValue(node: RespNode, settings: DecodeSettings, top: boolean): unknown {
  const str = (b: Buffer) => (settings.decoder === null ? b : b.toString(settings.decoder));
  const child = (n: RespNode) => expectedValue(n, settings, false);
  let type: RespTypeName;
  let data: unknown;
  switch (node.k) {
    case 'simple':
    case 'bulk':
      [type, data] = ['String', str(node.v)];
      break;
    case 'streamstr':
      [type, data] = ['String', str(Buffer.concat(node.parts))];
      break;
    case 'verbatim':
      [type, data] = ['VerbatimString', str(node.v)];
      break;
    case 'error':
    case 'bulkerr':
      [type, data] = ['Error', new ReplyError(node.v.toString('utf8'))];
      break;
    case 'int':
      [type, data] = ['Number', node.v >= BigInt(Number.MIN_SAFE_INTEGER) && node.v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(node.v) : node.v];
      break;
    case 'nullbulk':
    case 'nullarray':
    case 'null':
      [type, data] = ['Null', null];
      break;
    case 'double':
      [type, data] = ['Double', node.v];
      break;
    case 'bool':
      [type, data] = ['Boolean', node.v];
      break;
    case 'big':
      [type, data] = ['BigNumber', node.v];
      break;
    case 'array':
      [type, data] = ['Array', node.items.map(child)];
      break;
    case 'push':
      [type, data] = ['Push', node.items.map(child)];
      break;
    case 'set':
      [type, data] = ['Set', new Set(node.items.map(child))];
      break;
    case 'map':
      [type, data] = ['Map', new Map(node.entries.map(([k, v]) => [child(k), child(v)]))];
      break;
  }
  if (!settings.attributes || (type === 'Error' && top)) return data;
  const attrs = node.attrs === undefined ? null : new Map(node.attrs.map(([k, v]) => [child(k), child(v)]));
  return new RedisValue(type, data, attrs);
}

export type Event = ['reply' | 'push', unknown];

export function expectedEvents(frames: Frame[], reply: DecodeSettings, push: DecodeSettings): Event[] {
  return frames.map((f) => (f.push ? ['push', expectedValue(f.node, push, true)] : ['reply', expectedValue(f.node, reply, true)]));
}

export interface DecodeResult {
  events: Event[];
  error: unknown;
}

/** Feeds `chunks` to a fresh decoder; stops at the first throw. */
export function decodeChunks(chunks: Iterable<Buffer>, reply: DecodeSettings, push: DecodeSettings = reply, maxBulkLength?: number): DecodeResult {
  const events: Event[] = [];
  const decoder = new RespDecoder(
    {
      replySettings: () => reply,
      pushSettings: () => push,
      onReply: (v) => events.push(['reply', v]),
      onPush: (v) => events.push(['push', v]),
    },
    maxBulkLength === undefined ? {} : { maxBulkLength },
  );
  try {
    for (const c of chunks) decoder.feed(c);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

/** `buf` cut at every position in `cuts` (sorted, unique, inside the buffer). */
export function* splitAt(buf: Buffer, cuts: number[]): Generator<Buffer> {
  let prev = 0;
  for (const c of cuts) {
    yield buf.subarray(prev, c);
    prev = c;
  }
  yield buf.subarray(prev);
}

export function* bytewise(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++) yield buf.subarray(i, i + 1);
}

/** A string form that tells apart everything the decoder can produce (types, -0, NaN, wrappers). */
export function canon(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return `B<${value.toString('hex')}>`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? 'n-0' : `n${value}`;
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
  }
  if (value instanceof RedisValue) return `V(${value.type},${canon(value.data)},${canon(value.attrs)})`;
  if (value instanceof ReplyError) return `E(${JSON.stringify(value.message)},${value.code})`;
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  if (value instanceof Map) return `M{${[...value].map(([k, v]) => `${canon(k)}:${canon(v)}`).join(',')}}`;
  if (value instanceof Set) return `S{${[...value].map(canon).join(',')}}`;
  return `?${Object.prototype.toString.call(value)}`;
}

/** Strict structural equality with the same distinctions as `canon`, without building strings. */
export function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (a instanceof RedisValue) return b instanceof RedisValue && a.type === b.type && same(a.data, b.data) && same(a.attrs, b.attrs);
  if (a instanceof ReplyError) return b instanceof ReplyError && a.message === b.message && a.code === b.code;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map || a instanceof Set) {
    if (b.constructor !== a.constructor || (b as Map<unknown, unknown>).size !== a.size) return false;
    // Insertion order is part of what the decoder produces, so entries are compared in order.
    const ib = (b as Map<unknown, unknown>).entries();
    for (const [k, v] of a.entries()) {
      const y = ib.next().value as [unknown, unknown];
      if (!same(k, y[0]) || !same(v, y[1])) return false;
    }
    return true;
  }
  return false;
}
