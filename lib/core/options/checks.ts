import type { ReplyDecoder } from '../resp/types.js';
import type { Address } from '../options.js';

/**
 * The value checks every option kind is built from. Messages name the option and the type of
 * the value, never the value itself: it may be a credential or come from a URL whose other
 * parts are secret.
 */

/**
 * Largest duration accepted, in ms: Node stores timer delays in a signed 32-bit integer and
 * turns anything larger (or Infinity) into 1 ms, so a long timeout would fire at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** Largest count (retries, connections, sizes) accepted. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

export function fail(name: string, expected: string, value: unknown): never {
  throw new TypeError(`Option "${name}" must be ${expected}, got ${describeType(value)}`);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'null prototype'})` : `a ${typeof value}`;
}

/**
 * A finite integer in `[min, max]`. Infinity, NaN and fractions are refused rather than
 * clamped: each would change what the option means.
 */
export function checkInteger(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || Number.isNaN(v)) fail(name, 'a number', v);
  if (!Number.isFinite(v)) throw new RangeError(`Option "${name}" must be a finite integer from ${min} to ${max}, got a non-finite number`);
  if (!Number.isInteger(v)) throw new RangeError(`Option "${name}" must be an integer from ${min} to ${max}, got a fraction`);
  if (v < min || v > max) throw new RangeError(`Option "${name}" must be an integer from ${min} to ${max}`);
  return v;
}

/** A duration given to a single operation (e.g. `nextMessage({ timeout })`): a finite number of ms from 0 to 2^31-1. */
export function assertDuration(value: unknown, what: string): void {
  if (typeof value !== 'number' || !(value >= 0) || value > MAX_DURATION_MS) {
    throw new RangeError(`${what} must be a finite number of milliseconds from 0 to ${MAX_DURATION_MS}`);
  }
}

/** As `assertDuration`, but a value that is not a number at all is a TypeError (a setting of the wrong type, not out of range). */
export function validateDuration(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number of milliseconds, got ${describeType(value)}`);
  assertDuration(value, what);
  return value;
}

export function validateDecoder(value: unknown, name = 'decoder'): ReplyDecoder {
  if (value === null) return null;
  if (typeof value !== 'string' || !Buffer.isEncoding(value)) fail(name, 'null or a Buffer encoding name', value);
  return value as BufferEncoding;
}

export function validateAddress(value: unknown, name: string): Address {
  if (typeof value === 'string') {
    if (value.length === 0) throw new RangeError(`Option "${name}" must not be empty`);
    return value;
  }
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string') {
    const port = value[1];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Option "${name}" must have a port between 0 and 65535`);
    }
    return [value[0], port] as const;
  }
  return fail(name, '[host, port] or a unix socket path', value);
}
