import type { CommandArg } from '../resp/types.js';
import { crc16, crc16Utf8 } from './crc16.js';

export const SLOT_COUNT = 16384;

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/**
 * The cluster hash slot of a key, as the cluster spec defines it: if the key holds a `{`,
 * and a `}` somewhere after that first `{`, with at least one byte between them, only those
 * bytes are hashed (a hash tag); otherwise the whole key. `{}` (empty tag) hashes the whole key.
 *
 * Keys are hashed as the bytes the encoder sends: strings with `encoding`, numbers and
 * bigints as their decimal text. UTF-8 strings are hashed without building a Buffer.
 */
export function hashSlot(key: CommandArg, encoding: BufferEncoding = 'utf8'): number {
  if (typeof key === 'string') {
    if (encoding === 'utf8' || encoding === 'utf-8') return stringSlot(key);
    return bytesSlot(Buffer.from(key, encoding));
  }
  if (typeof key === 'number') return stringSlot(numberText(key));
  if (typeof key === 'bigint') return stringSlot(key.toString());
  return bytesSlot(key);
}

function stringSlot(key: string): number {
  // '{' and '}' are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte sequence,
  // so searching the string finds the same tag as searching its bytes.
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16Utf8(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16Utf8(key) & (SLOT_COUNT - 1);
}

function bytesSlot(key: Uint8Array): number {
  const open = key.indexOf(OPEN);
  if (open !== -1) {
    const close = key.indexOf(CLOSE, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key) & (SLOT_COUNT - 1);
}

/** A number as the encoder writes it (`inf`, plain digits for large integers). */
function numberText(n: number): string {
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return BigInt(n).toString();
  return String(n);
}
