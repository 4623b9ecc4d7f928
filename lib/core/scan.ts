import type { CommandArg } from './resp/types.js';
import type { Address } from './options.js';
import { isPlainObject } from './call-args.js';
import { RedisError } from './errors.js';
import type { SlotOwners } from './routing/router.js';

export interface ScanOptions {
  /** Glob-style pattern (SCAN's MATCH). */
  match?: string;
  /** Hint for how many entries each round trip returns (SCAN's COUNT). */
  count?: number;
}

export interface KeyScanOptions extends ScanOptions {
  /** Only keys of this type (`string`, `hash`, `zset`, ...; SCAN's TYPE). */
  type?: string;
}

/** What the scan helpers need from a client view. */
export interface ScanTarget {
  call(...args: unknown[]): Promise<any>;
  endpoints(): Promise<{ address: Address; type: 'master' | 'replica' }[]>;
}

function scanArgs(options: KeyScanOptions | undefined, allowType: boolean): CommandArg[] {
  if (options === undefined) return [];
  if (!isPlainObject(options as unknown)) throw new TypeError('Scan options must be an object like { match, count }');
  const args: CommandArg[] = [];
  for (const key of Object.keys(options)) {
    if (key !== 'match' && key !== 'count' && !(allowType && key === 'type')) throw new TypeError(`Unknown scan option "${key}"`);
  }
  if (options.match !== undefined) {
    if (typeof options.match !== 'string') throw new TypeError('Scan option "match" must be a string');
    args.push('MATCH', options.match);
  }
  if (options.count !== undefined) {
    if (typeof options.count !== 'number' || !Number.isInteger(options.count) || options.count < 1) throw new RangeError('Scan option "count" must be a positive integer');
    args.push('COUNT', options.count);
  }
  if (options.type !== undefined) {
    if (typeof options.type !== 'string') throw new TypeError('Scan option "type" must be a string');
    args.push('TYPE', options.type);
  }
  return args;
}

/** Cursor values come back as strings or Buffers; '0' ends the walk. */
function cursorDone(cursor: unknown): boolean {
  return cursor === '0' || (Buffer.isBuffer(cursor) && cursor.length === 1 && cursor[0] === 0x30);
}

async function* walk(send: (cursor: CommandArg) => Promise<[unknown, unknown[]]>): AsyncGenerator<unknown[]> {
  let cursor: CommandArg = '0';
  do {
    const [next, items] = await send(cursor);
    if (items.length > 0) yield items;
    if (cursorDone(next)) return;
    cursor = Buffer.isBuffer(next) ? next : String(next);
  } while (true);
}

/** Cluster walks whose slot map still changed after this many rounds give up (the slots keep moving). */
export const MAX_SCAN_ROUNDS = 10;

/**
 * Every key matching the options, walking SCAN to its end. SCAN guarantees every key
 * present for the whole walk is returned, but may return a key more than once (when the
 * table is rehashed mid-walk); this helper passes those duplicates on rather than holding
 * every key in memory to remove them.
 *
 * On a cluster (`slotOwners` given and answering) every master serving slots is walked in
 * turn; see `scanCluster` for slots that move meanwhile.
 */
export async function* scanKeys(target: ScanTarget, options?: KeyScanOptions, slotOwners?: () => Promise<SlotOwners | null>): AsyncGenerator<any> {
  const extra = scanArgs(options, true);
  const owners = slotOwners === undefined ? null : await slotOwners();
  if (owners !== null) {
    yield* scanCluster(target, extra, slotOwners as () => Promise<SlotOwners>, owners);
    return;
  }
  const masters = (await target.endpoints()).filter((e) => e.type === 'master');
  const single = masters.length <= 1;
  for (const master of masters) yield* scanNode(target, extra, single ? undefined : master.address);
}

/**
 * Walks every master serving slots, then compares the slot map (refreshed) with the one
 * the round started from. A key whose slot moved to a master walked earlier — or away from
 * one before its cursor got there — would be missed, so every master that gained a slot is
 * walked again, whole; and again, up to `MAX_SCAN_ROUNDS`, while slots keep moving.
 *
 * Duplicates this adds to SCAN's own: every key of a master walked again comes again (not
 * only those of the moved slots — SCAN cannot walk one slot). Not detected: a migration
 * still under way when the walk ends (keys partly moved, the slot's owner not switched
 * yet): keys already moved to a master walked before they arrived are missed.
 */
async function* scanCluster(target: ScanTarget, extra: CommandArg[], slotOwners: () => Promise<SlotOwners>, first: SlotOwners): AsyncGenerator<any> {
  let before = first;
  let masters = [...first.addresses.keys()];
  for (let round = 1; ; round++) {
    for (const key of masters) yield* scanNode(target, extra, before.addresses.get(key));
    const after = await slotOwners();
    const gained = new Set<string>();
    for (let slot = 0; slot < after.owners.length; slot++) {
      const owner = after.owners[slot];
      if (owner !== before.owners[slot] && owner !== '') gained.add(owner);
    }
    if (gained.size === 0) return;
    if (round === MAX_SCAN_ROUNDS) {
      throw new RedisError(`Slots kept moving between cluster nodes through ${MAX_SCAN_ROUNDS} rounds of SCAN; keys may have been missed`, 'ERR_CLUSTER_SCAN_UNSTABLE');
    }
    masters = [...gained];
    before = after;
  }
}

/** One server's keys (`endpoint` undefined: wherever a keyless command goes). */
async function* scanNode(target: ScanTarget, extra: CommandArg[], endpoint: Address | undefined): AsyncGenerator<any> {
  const send = (cursor: CommandArg) => target.call('SCAN', cursor, ...extra, endpoint === undefined ? {} : { endpoint });
  for await (const items of walk(send)) yield* items;
}

/** Fields and values of a hash, as `[field, value]` pairs (HSCAN). */
export async function* scanHash(target: ScanTarget, key: CommandArg, options?: ScanOptions): AsyncGenerator<[any, any]> {
  const extra = scanArgs(options, false);
  for await (const items of walk((cursor) => target.call('HSCAN', key, cursor, ...extra))) {
    for (let i = 0; i + 1 < items.length; i += 2) yield [items[i], items[i + 1]];
  }
}

/** Members of a set (SSCAN). */
export async function* scanSet(target: ScanTarget, key: CommandArg, options?: ScanOptions): AsyncGenerator<any> {
  const extra = scanArgs(options, false);
  for await (const items of walk((cursor) => target.call('SSCAN', key, cursor, ...extra))) yield* items;
}

/** Members of a sorted set with their scores, as `[member, score]` pairs (ZSCAN; the score as the server sent it). */
export async function* scanSortedSet(target: ScanTarget, key: CommandArg, options?: ScanOptions): AsyncGenerator<[any, any]> {
  const extra = scanArgs(options, false);
  for await (const items of walk((cursor) => target.call('ZSCAN', key, cursor, ...extra))) {
    for (let i = 0; i + 1 < items.length; i += 2) yield [items[i], items[i + 1]];
  }
}
