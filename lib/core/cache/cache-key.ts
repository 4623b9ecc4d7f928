import type { CommandArg } from '../resp/types.js';

/** Encoders that write an all-ASCII string as exactly its characters, one byte each. */
const ASCII_SAFE = new Set<string>(['utf8', 'utf-8', 'latin1', 'binary', 'ascii']);
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The cache's name for an argument: the exact bytes sent, as a latin1 string (one char per
 * byte). Strings go through the configured encoder as the wire does, so `'é'` (two UTF-8
 * bytes) and `Buffer.from([0xe9])` are different keys, and the invalidation of a non-ASCII
 * key (its bytes, read back as latin1) finds the entry. ASCII strings under an
 * ASCII-compatible encoder are their own bytes: no Buffer is made for them.
 */
export function cacheKeyOf(arg: CommandArg, encoder: BufferEncoding): string {
  if (typeof arg === 'string') {
    if ((encoder === 'utf8' || ASCII_SAFE.has(encoder)) && !NON_ASCII.test(arg)) return arg;
    return Buffer.from(arg, encoder).toString('latin1');
  }
  if (typeof arg === 'number' || typeof arg === 'bigint') return String(arg);
  return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');
}
