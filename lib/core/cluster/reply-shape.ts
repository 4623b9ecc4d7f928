/**
 * Cluster metadata replies (CLUSTER SHARDS, COMMAND INFO key specs) come as flat
 * `[name, value, name, value]` arrays under RESP2 and as maps (and sets) under RESP3.
 * These helpers read both, so the parsers above them never care which protocol was used —
 * the reference crashed here on RESP3.
 */

/** A field of a RESP3 map or of a RESP2 flat key/value array; `undefined` when absent. */
export function field(value: unknown, name: string): unknown {
  if (value instanceof Map) return value.get(name);
  if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) if (value[i] === name) return value[i + 1];
  }
  return undefined;
}

/** A RESP3 set or a RESP2 array as an array; anything else as an empty array. */
export function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  return [];
}

/** A number from an integer reply or its text; `NaN` when it is neither. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return NaN;
}

/** Text from a string reply (or a Buffer); `''` for anything else. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return '';
}
