import { RedisValue, type RespTypeName } from './types.js';
import type { ReplyDecoder } from './types.js';

/**
 * Re-decodes a value that was decoded with Buffers (`decoder: null`), for readers that
 * choose their decoder after the bytes arrived (push connections' `nextMessage`).
 * Buffers were kept, so nothing is lost whichever decoder the reader asks for.
 */
export function convertValue(value: unknown, decoder: ReplyDecoder, attributes: boolean): unknown {
  if (decoder === null && !attributes) return unwrap(value);
  return convert(value, decoder, attributes);
}

function convert(value: unknown, decoder: ReplyDecoder, attributes: boolean): unknown {
  if (value instanceof RedisValue) {
    const data = convert(value.data, decoder, false);
    if (!attributes) return data;
    const attrs = value.attrs === null ? null : (wrapChildren(value.attrs, value.attrs, decoder) as Map<unknown, unknown>);
    return new RedisValue(value.type, wrapChildren(data, value.data, decoder), attrs);
  }
  let out: unknown;
  if (Buffer.isBuffer(value)) out = decoder === null ? value : value.toString(decoder);
  else if (Array.isArray(value)) out = value.map((v) => convert(v, decoder, attributes));
  else if (value instanceof Map) {
    const m = new Map();
    for (const [k, v] of value) m.set(convert(k, decoder, attributes), convert(v, decoder, attributes));
    out = m;
  } else if (value instanceof Set) {
    const s = new Set();
    for (const v of value) s.add(convert(v, decoder, attributes));
    out = s;
  } else out = value;
  return attributes ? new RedisValue(typeOf(value), out, null) : out;
}

function wrapChildren(converted: unknown, original: unknown, decoder: ReplyDecoder): unknown {
  // Children of a wrapped value were wrapped when decoded; convert them keeping their wrappers.
  if (Array.isArray(original)) return original.map((v) => convert(v, decoder, true));
  if (original instanceof Map) {
    const m = new Map();
    for (const [k, v] of original) m.set(convert(k, decoder, true), convert(v, decoder, true));
    return m;
  }
  if (original instanceof Set) {
    const s = new Set();
    for (const v of original) s.add(convert(v, decoder, true));
    return s;
  }
  return converted;
}

function unwrap(value: unknown): unknown {
  if (value instanceof RedisValue) return unwrap(value.data);
  if (Array.isArray(value)) {
    let wrapped = false;
    for (const v of value) if (v instanceof RedisValue || Array.isArray(v)) wrapped = true;
    return wrapped ? value.map(unwrap) : value;
  }
  if (value instanceof Map) {
    const m = new Map();
    for (const [k, v] of value) m.set(unwrap(k), unwrap(v));
    return m;
  }
  if (value instanceof Set) {
    const s = new Set();
    for (const v of value) s.add(unwrap(v));
    return s;
  }
  return value;
}

function typeOf(value: unknown): RespTypeName {
  if (value === null || value === undefined) return 'Null';
  if (Buffer.isBuffer(value) || typeof value === 'string') return 'String';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Number' : 'Double';
  if (typeof value === 'bigint') return 'BigNumber';
  if (typeof value === 'boolean') return 'Boolean';
  if (value instanceof Error) return 'Error';
  if (value instanceof Map) return 'Map';
  if (value instanceof Set) return 'Set';
  return 'Array';
}
