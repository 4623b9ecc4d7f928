/*
 * The server's command table as the client reads it at run time: `COMMAND INFO` entries parsed
 * into key specs, and where a command's keys are in its arguments (cluster routing, the
 * client-side cache's read-your-writes). The compile-time types of calls are a different thing,
 * generated from Redis's JSON: command-table.generated.ts.
 */
import type { CommandArg } from '../resp/types.js';
import { commandName } from '../command-kinds.js';
import { field, list, num, text } from '../cluster/reply-shape.js';

/** How a key spec finds where its keys begin (Redis 7 "key specifications"). */
type BeginSearch = { kind: 'index'; index: number } | { kind: 'keyword'; keyword: string; startFrom: number } | { kind: 'unknown' };
/** How a key spec finds the keys from there. */
type FindKeys =
  | { kind: 'range'; lastKey: number; step: number; limit: number }
  | { kind: 'keynum'; keyNumIndex: number; firstKey: number; step: number }
  | { kind: 'unknown' };

export interface KeySpec {
  readonly begin: BeginSearch;
  readonly find: FindKeys;
  /** Flagged INCOMPLETE: the spec may miss keys (MIGRATE's KEYS list, SORT's STORE). */
  readonly incomplete: boolean;
}

/** What routing needs to know about one command (or subcommand, named `container|sub`). */
export interface CommandSpec {
  readonly name: string;
  /** The `readonly` flag: may be served by a replica. */
  readonly readonly: boolean;
  /** The `movablekeys` flag: key positions depend on the arguments. */
  readonly movable: boolean;
  /** Legacy first-key position (0: no keys); exact for commands without movable keys. */
  readonly firstKey: number;
  /** Legacy last-key position (negative: from the end) and step, for servers without key specs. */
  readonly lastKey: number;
  readonly keyStep: number;
  readonly keySpecs: readonly KeySpec[];
  /** A key spec the client cannot evaluate (type unknown): ask the server when no key was found. */
  readonly unsure: boolean;
  /** A key spec that may miss keys (INCOMPLETE): every key is only known by asking the server. */
  readonly incomplete: boolean;
  /** Subcommands by their lower-case name (`object` → `encoding`). */
  readonly subcommands: ReadonlyMap<string, CommandSpec> | null;
}

/** Where the routing key of a command is: an argument index, none, or ask the server. */
export const NO_KEY = -1;
export const ASK_SERVER = -2;

/**
 * Parses one `COMMAND INFO` entry: `[name, arity, flags, first, last, step, acl, tips,
 * key-specs, subcommands]` (the last four from Redis 7). Flags are an array under RESP2 and
 * a set under RESP3; key specs flat arrays or maps. `null` for an unknown command.
 */
export function parseCommandInfo(entry: unknown): CommandSpec | null {
  if (!Array.isArray(entry) || entry.length < 6) return null;
  const flags = new Set(list(entry[2]).map((f) => text(f).toLowerCase()));
  const keySpecs: KeySpec[] = [];
  let unsure = false;
  let incomplete = false;
  for (const raw of list(entry[8])) {
    const spec = parseKeySpec(raw);
    if (spec.begin.kind === 'unknown' || spec.find.kind === 'unknown') unsure = true;
    if (spec.incomplete) incomplete = true;
    keySpecs.push(spec);
  }
  let subcommands: Map<string, CommandSpec> | null = null;
  for (const rawSub of list(entry[9])) {
    const sub = parseCommandInfo(rawSub);
    if (sub === null) continue;
    subcommands ??= new Map();
    const bar = sub.name.indexOf('|');
    subcommands.set(bar === -1 ? sub.name : sub.name.slice(bar + 1), sub);
  }
  return {
    name: text(entry[0]).toLowerCase(),
    readonly: flags.has('readonly'),
    movable: flags.has('movablekeys'),
    firstKey: num(entry[3]) || 0,
    lastKey: num(entry[4]) || 0,
    keyStep: num(entry[5]) || 1,
    keySpecs,
    unsure,
    incomplete,
    subcommands,
  };
}

function parseKeySpec(raw: unknown): KeySpec {
  const bs = field(raw, 'begin_search');
  const fk = field(raw, 'find_keys');
  const bsSpec = field(bs, 'spec');
  const fkSpec = field(fk, 'spec');
  let begin: BeginSearch = { kind: 'unknown' };
  switch (text(field(bs, 'type'))) {
    case 'index':
      begin = { kind: 'index', index: num(field(bsSpec, 'index')) };
      break;
    case 'keyword':
      begin = { kind: 'keyword', keyword: text(field(bsSpec, 'keyword')).toLowerCase(), startFrom: num(field(bsSpec, 'startfrom')) };
      break;
  }
  let find: FindKeys = { kind: 'unknown' };
  switch (text(field(fk, 'type'))) {
    case 'range':
      find = { kind: 'range', lastKey: num(field(fkSpec, 'lastkey')), step: num(field(fkSpec, 'keystep')) || 1, limit: num(field(fkSpec, 'limit')) || 0 };
      break;
    case 'keynum':
      find = { kind: 'keynum', keyNumIndex: num(field(fkSpec, 'keynumidx')), firstKey: num(field(fkSpec, 'firstkey')), step: num(field(fkSpec, 'keystep')) || 1 };
      break;
  }
  const incomplete = list(field(raw, 'flags')).some((f) => text(f).toLowerCase() === 'incomplete');
  return { begin, find, incomplete };
}

/**
 * The argument index of the command's first key — what decides its slot — or `NO_KEY`, or
 * `ASK_SERVER` when only `COMMAND GETKEYS` can tell (movable keys the specs cannot place,
 * or a server too old to send key specs).
 *
 * Commands without movable keys use the legacy first-key position: one array read on the
 * hot path. Movable ones evaluate every key spec the way the server does
 * (`getKeysUsingKeySpecs`) and take the earliest key found, which saves the GETKEYS round
 * trip for EVAL, XREAD, ZUNION and the like.
 */
export function firstKeyIndex(spec: CommandSpec, args: readonly CommandArg[]): number {
  if (!spec.movable) return spec.firstKey > 0 && spec.firstKey < args.length ? spec.firstKey : NO_KEY;
  if (spec.keySpecs.length === 0) return ASK_SERVER;
  let best = NO_KEY;
  for (const keySpec of spec.keySpecs) {
    const index = specFirstKey(keySpec, args);
    if (index > 0 && (best === NO_KEY || index < best)) best = index;
  }
  if (best === NO_KEY && spec.unsure) return ASK_SERVER;
  return best;
}

function specFirstKey(spec: KeySpec, args: readonly CommandArg[]): number {
  return specRange(spec, args, scratch) ? scratch[0] : NO_KEY;
}

/** Reused by `specRange` callers that only read it before the next call (no allocation per command). */
const scratch: [first: number, last: number, step: number] = [0, 0, 1];

/**
 * Where one key spec finds its keys in `args`, as the server's `getKeysUsingKeySpecs`
 * evaluates it: writes `[first, last, step]` into `out` (last clamped to the arguments) and
 * returns true, or false when the spec finds no key here.
 */
function specRange(spec: KeySpec, args: readonly CommandArg[], out: [number, number, number]): boolean {
  const argc = args.length;
  let first: number;
  const begin = spec.begin;
  if (begin.kind === 'index') first = begin.index;
  else if (begin.kind === 'keyword') {
    first = 0;
    const start = begin.startFrom > 0 ? begin.startFrom : argc + begin.startFrom;
    const end = begin.startFrom > 0 ? argc - 1 : 0; // exclusive, as in the server
    for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
      if (i >= argc || i < 1) break;
      if (commandName(args[i]) === begin.keyword) {
        first = i + 1;
        break;
      }
    }
    if (first === 0) return false;
  } else return false;

  const find = spec.find;
  let last: number;
  let step = 1;
  if (find.kind === 'range') {
    if (find.lastKey >= 0) last = first + find.lastKey;
    else if (find.limit === 0) last = argc + find.lastKey;
    else last = first + (Math.floor((argc - first) / find.limit) + find.lastKey);
    step = find.step;
  } else if (find.kind === 'keynum') {
    const numIndex = first + find.keyNumIndex;
    if (numIndex >= argc) return false;
    const count = Number(typeof args[numIndex] === 'string' || typeof args[numIndex] === 'number' || typeof args[numIndex] === 'bigint' ? args[numIndex] : commandName(args[numIndex]));
    if (!Number.isInteger(count) || count <= 0) return false;
    first += find.firstKey;
    step = find.step;
    last = first + (count - 1) * step;
  } else return false;
  if (last >= argc) last = argc - 1;
  if (first > last || first < 1) return false;
  out[0] = first;
  out[1] = last;
  out[2] = step > 0 ? step : 1;
  return true;
}

/**
 * For a command without movable keys: the index of its last key in `args` (its keys are
 * `firstKey` to this, by `keyStep`; none when it is below `firstKey`).
 */
export function legacyLastKey(spec: CommandSpec, args: readonly CommandArg[]): number {
  return spec.lastKey < 0 ? args.length + spec.lastKey : Math.min(spec.lastKey, args.length - 1);
}

/**
 * Every argument index that names a key — what a write may change — or `ASK_SERVER` when
 * only `COMMAND GETKEYS` can tell: a key spec of unknown type or flagged INCOMPLETE (SORT's
 * STORE, MIGRATE's KEYS), or movable keys on a server without key specs. Indexes may repeat
 * when two specs name the same argument.
 *
 * A command without movable keys has them all in its legacy first/last/step range: the
 * server derives that range from the key specs and flags the command movable whenever the
 * range cannot cover them (ranges not adjacent, a step other than 1, a keyword or keynum
 * spec, an INCOMPLETE one). So the range is read directly, as on servers before 7.0.
 */
export function keyIndexes(spec: CommandSpec, args: readonly CommandArg[]): number[] | typeof ASK_SERVER {
  const found: number[] = [];
  if (!spec.movable) {
    if (spec.firstKey <= 0) return found;
    const last = legacyLastKey(spec, args);
    for (let i = spec.firstKey; i <= last; i += spec.keyStep) found.push(i);
    return found;
  }
  if (spec.keySpecs.length === 0 || spec.unsure || spec.incomplete) return ASK_SERVER;
  const range: [number, number, number] = [0, 0, 1];
  for (const keySpec of spec.keySpecs) {
    if (!specRange(keySpec, args, range)) continue;
    for (let i = range[0]; i <= range[1]; i += range[2]) found.push(i);
  }
  return found;
}
