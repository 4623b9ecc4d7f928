import type { CommandArg } from './resp/types.js';
import type { Address } from './options.js';
import { isPlainObject } from './call-args.js';

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

/**
 * Every key matching the options, walking SCAN to its end; on a cluster, every master in
 * turn. SCAN guarantees every key present for the whole walk is returned, but may return a
 * key more than once (when the table is rehashed mid-walk); this helper passes those
 * duplicates on rather than holding every key in memory to remove them.
 */
export async function* scanKeys(target: ScanTarget, options?: KeyScanOptions): AsyncGenerator<any> {
  const extra = scanArgs(options, true);
  const masters = (await target.endpoints()).filter((e) => e.type === 'master');
  const single = masters.length <= 1;
  for (const master of masters) {
    const endpoint = single ? undefined : master.address;
    const send = (cursor: CommandArg) => target.call('SCAN', cursor, ...extra, endpoint === undefined ? {} : { endpoint });
    for await (const items of walk(send)) yield* items;
  }
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
