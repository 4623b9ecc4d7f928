import type { CommandArg } from '../resp/types.js';
import { ASK_SERVER, keyIndexes, legacyLastKey, type CommandSpec } from '../commands/key-specs.js';
import type { CommandSpecs } from '../commands/command-specs.js';
import { cacheKeyOf } from './cache-key.js';

/**
 * What a command may have changed, in cache keys: a list (empty for none), or `EVERYTHING`
 * when it cannot be told key by key. A promise while the command's spec is being loaded or
 * the server is being asked (`COMMAND GETKEYS`); it never rejects.
 */
export type Written = readonly string[] | typeof EVERYTHING;
export const EVERYTHING = null;
const NONE: readonly string[] = Object.freeze([]);

/** Keyless commands that change keys all the same (FLUSHALL's invalidation may still be on its way). */
const CHANGES_EVERYTHING = new Set(['flushall', 'flushdb', 'swapdb', 'debug']);

/**
 * Every key a command may change, from the server's own command table, so that a write
 * through this client drops them from the cache before its reply resolves:
 * - commands flagged `readonly` change nothing (GET, EVAL_RO, FCALL_RO, OBJECT ENCODING ...);
 * - the others change every key their key specs name — all of them, not only the first:
 *   both keys of RENAME, COPY, SMOVE, LMOVE; every key of MSET, DEL, UNLINK; the declared
 *   keys (numkeys) of EVAL, EVALSHA, FCALL. A script that touches keys it does not declare
 *   breaks Redis's own rules (and cluster routing): such keys are not dropped;
 * - a key spec the client cannot evaluate (SORT ... STORE, MIGRATE ... KEYS, module commands
 *   with a getkeys callback) is answered by the server (`COMMAND GETKEYS`);
 * - FLUSHALL, FLUSHDB, SWAPDB, DEBUG change everything;
 * - a command the server does not know runs nothing, but its first argument is dropped all
 *   the same (a proxy or a rename may know it); when the table cannot be read at all
 *   (COMMAND refused by an ACL, a proxy), everything is dropped: the cache then keeps only
 *   what no write of this client can have touched.
 */
export function keysWritten(name: string, args: readonly CommandArg[], specs: CommandSpecs, encoder: BufferEncoding): Written | Promise<Written> {
  if (CHANGES_EVERYTHING.has(name)) return EVERYTHING;
  const spec = specs.lookup(name, args);
  if (spec !== undefined) return fromSpec(spec, args, specs, encoder);
  return specs.load([name]).then(
    () => {
      const loaded = specs.lookup(name, args);
      return loaded === undefined ? EVERYTHING : fromSpec(loaded, args, specs, encoder);
    },
    () => EVERYTHING,
  );
}

function fromSpec(spec: CommandSpec | null, args: readonly CommandArg[], specs: CommandSpecs, encoder: BufferEncoding): Written | Promise<Written> {
  if (spec === null) return args.length > 1 ? [cacheKeyOf(args[1], encoder)] : NONE;
  if (spec.readonly) return NONE;
  if (!spec.movable) return inRange(spec, args, encoder);
  const indexes = keyIndexes(spec, args);
  if (indexes === ASK_SERVER) {
    return specs.serverKeys(args).then(
      (keys) => keys.map((key) => (Buffer.isBuffer(key) ? key.toString('latin1') : String(key))),
      () => EVERYTHING,
    );
  }
  if (indexes.length === 0) return NONE;
  const keys = new Array<string>(indexes.length);
  for (let i = 0; i < indexes.length; i++) keys[i] = cacheKeyOf(args[indexes[i]], encoder);
  return keys;
}

/** The keys of a command without movable keys, read straight from its legacy range (as `keyIndexes` does, without its index list). */
function inRange(spec: CommandSpec, args: readonly CommandArg[], encoder: BufferEncoding): readonly string[] {
  const first = spec.firstKey;
  const last = legacyLastKey(spec, args);
  if (first <= 0 || last < first) return NONE;
  if (last === first) return [cacheKeyOf(args[first], encoder)];
  const keys: string[] = [];
  for (let i = first; i <= last; i += spec.keyStep) keys.push(cacheKeyOf(args[i], encoder));
  return keys;
}
