import type { CommandArg } from '../resp/types.js';
import { RedisValue } from '../resp/types.js';
import { hashSlot } from './hash-slot.js';

/** How a multi-key command's per-slot replies are merged back into one. */
type Merge = 'array' | 'sum' | 'ok';

interface MultiKeyKind {
  /** Arguments per key: 1 (MGET k1 k2), 2 (MSET k1 v1 k2 v2). */
  readonly step: 1 | 2;
  readonly merge: Merge;
  /** May be served by a replica under `readFrom: 'replica'`. */
  readonly readonly: boolean;
}

/**
 * Commands whose keys are independent of each other, so the cluster's "all keys in one
 * slot" rule can be met by splitting them per slot and merging the replies. Other
 * multi-key commands (SUNION, RENAME, ...) have cross-key semantics and get the server's
 * CROSSSLOT error unchanged. MSET across slots is not atomic, as in other cluster clients.
 */
export const MULTI_KEY: ReadonlyMap<string, MultiKeyKind> = new Map<string, MultiKeyKind>([
  ['mget', { step: 1, merge: 'array', readonly: true }],
  ['exists', { step: 1, merge: 'sum', readonly: true }],
  ['del', { step: 1, merge: 'sum', readonly: false }],
  ['unlink', { step: 1, merge: 'sum', readonly: false }],
  ['touch', { step: 1, merge: 'sum', readonly: false }],
  ['mset', { step: 2, merge: 'ok', readonly: false }],
]);

/** One per-slot part of a split command. */
export interface SlotPart {
  readonly slot: number;
  readonly args: CommandArg[];
  /** Key positions (0-based among the keys) this part covers, for MGET's merge. */
  readonly positions: number[];
}

/**
 * Splits a multi-key command into one command per slot, or returns `null` when all its
 * keys share a slot (or the arguments are malformed: the server should see them as sent).
 */
export function splitBySlot(args: readonly CommandArg[], kind: MultiKeyKind, encoding: BufferEncoding): SlotPart[] | null {
  const step = kind.step;
  const count = (args.length - 1) / step;
  if (count < 2 || !Number.isInteger(count)) return null;
  const firstSlot = hashSlot(args[1], encoding);
  let i = 1 + step;
  while (i < args.length && hashSlot(args[i], encoding) === firstSlot) i += step;
  if (i >= args.length) return null;

  const parts = new Map<number, SlotPart>();
  for (let k = 0; k < count; k++) {
    const at = 1 + k * step;
    const slot = hashSlot(args[at], encoding);
    let part = parts.get(slot);
    if (part === undefined) {
      part = { slot, args: [args[0]], positions: [] };
      parts.set(slot, part);
    }
    part.args.push(args[at]);
    if (step === 2) part.args.push(args[at + 1]);
    part.positions.push(k);
  }
  return [...parts.values()];
}

/** Merges per-part replies (in `parts` order) into what the unsplit command would return. */
export function mergeParts(kind: MultiKeyKind, parts: readonly SlotPart[], replies: readonly unknown[], wrapped: boolean): unknown {
  switch (kind.merge) {
    case 'ok':
      return replies[0];
    case 'sum': {
      let sum = 0;
      for (const r of replies) sum += Number(wrapped ? (r as RedisValue).data : r);
      return wrapped ? new RedisValue('Number', sum, null) : sum;
    }
    case 'array': {
      let total = 0;
      for (const p of parts) total += p.positions.length;
      const out = new Array<unknown>(total);
      for (let i = 0; i < parts.length; i++) {
        const values = (wrapped ? (replies[i] as RedisValue).data : replies[i]) as unknown[];
        const positions = parts[i].positions;
        for (let j = 0; j < positions.length; j++) out[positions[j]] = values[j];
      }
      return wrapped ? new RedisValue('Array', out, null) : out;
    }
  }
}
