import { field, list, num, text } from './reply-shape.js';
import { SLOT_COUNT } from './hash-slot.js';

/** An address as the cluster announced it (before any `natMap`). */
export type HostPort = readonly [host: string, port: number];

/** One master, its replicas and the slot ranges it serves, as the cluster describes it. */
export interface ShardLayout {
  readonly master: HostPort;
  readonly replicas: HostPort[];
  /** Inclusive `[first, last]` slot ranges. */
  readonly ranges: [number, number][];
  /** Whether the cluster reports the master healthy (`undefined`: not reported, as in CLUSTER SLOTS). */
  readonly online?: boolean;
}

/**
 * Parses `CLUSTER SHARDS` (Redis 7; RESP2 flat arrays or RESP3 maps). `queried` is the
 * node the reply came from: an empty endpoint means "the address you reached me on".
 * Failed replicas are left out: reads sent to them would fail.
 */
export function parseClusterShards(reply: unknown, queried: HostPort, preferTls: boolean): ShardLayout[] {
  const shards: ShardLayout[] = [];
  for (const entry of list(reply)) {
    const slots = list(field(entry, 'slots'));
    const ranges: [number, number][] = [];
    for (let i = 0; i + 1 < slots.length; i += 2) ranges.push([num(slots[i]), num(slots[i + 1])]);
    let master: HostPort | undefined;
    let onlineMaster = false;
    const replicas: HostPort[] = [];
    for (const node of list(field(entry, 'nodes'))) {
      const address = shardNodeAddress(node, queried, preferTls);
      if (address === undefined) continue;
      const role = text(field(node, 'role'));
      if (role === 'master') {
        // A failed master still owns its slots until a replica takes over; keep it.
        const online = text(field(node, 'health')) === 'online';
        if (master === undefined || online) master = address;
        onlineMaster ||= online;
      } else if (text(field(node, 'health')) !== 'fail') {
        // 'loading' also covers a synced replica whose offset the cluster has not gossiped
        // yet (a quiet new cluster): keep it; a replica that really is loading answers
        // LOADING and the read goes to its master.
        replicas.push(address);
      }
    }
    if (master === undefined) continue;
    // A failed master whose slots a replica took over stays listed until it returns: it is
    // no master of ours (fan-out and endpoints() must not include it).
    if (ranges.length === 0 && !onlineMaster) continue;
    shards.push({ master, replicas, ranges, online: onlineMaster });
  }
  return shards;
}

function shardNodeAddress(node: unknown, queried: HostPort, preferTls: boolean): HostPort | undefined {
  const plain = num(field(node, 'port'));
  const secure = num(field(node, 'tls-port'));
  const port = preferTls ? (secure > 0 ? secure : plain) : plain > 0 ? plain : secure;
  if (!(port > 0)) return undefined;
  const endpoint = text(field(node, 'endpoint'));
  if (endpoint === '?') return undefined; // the node does not know how to be reached
  if (endpoint === '') return [queried[0], port];
  return [endpoint, port];
}

/**
 * Parses `CLUSTER SLOTS` (older servers): `[first, last, [host, port, id, ...], ...replicas]`
 * per range; ranges of one master are merged into one shard.
 */
export function parseClusterSlots(reply: unknown, queried: HostPort): ShardLayout[] {
  const byMaster = new Map<string, ShardLayout>();
  for (const entry of list(reply)) {
    const items = list(entry);
    if (items.length < 3) continue;
    const master = slotsNodeAddress(items[2], queried);
    if (master === undefined) continue;
    const key = `${master[0]}:${master[1]}`;
    let shard = byMaster.get(key);
    if (shard === undefined) {
      shard = { master, replicas: [], ranges: [] };
      for (let i = 3; i < items.length; i++) {
        const replica = slotsNodeAddress(items[i], queried);
        if (replica !== undefined) shard.replicas.push(replica);
      }
      byMaster.set(key, shard);
    }
    shard.ranges.push([num(items[0]), num(items[1])]);
  }
  return [...byMaster.values()];
}

function slotsNodeAddress(node: unknown, queried: HostPort): HostPort | undefined {
  const items = list(node);
  const host = text(items[0]);
  const port = num(items[1]);
  if (!(port > 0) || host === '?') return undefined;
  return [host === '' ? queried[0] : host, port];
}

/** `NO_OWNER` marks a slot no master serves (a hole in the map). */
export const NO_OWNER = 0xffff;

/** A master (`N` is whatever the router keeps per node) and its replicas. */
export interface Shard<N> {
  readonly master: N;
  readonly replicas: N[];
}

/**
 * The slot → shard table: 16384 entries of shard indices, so a lookup is one array read.
 * `assign()` applies a MOVED at once, before the full refresh it triggers comes back.
 */
export class SlotMap<N> {
  readonly shards: Shard<N>[] = [];
  private readonly owner = new Uint16Array(SLOT_COUNT).fill(NO_OWNER);
  private readonly shardOf = new Map<N, number>();

  /** Builds a map from parsed layouts, `toNode` turning announced addresses into nodes. */
  static from<N>(layouts: readonly ShardLayout[], toNode: (address: HostPort) => N): SlotMap<N> {
    const map = new SlotMap<N>();
    for (const layout of layouts) {
      const index = map.addShard(toNode(layout.master), layout.replicas.map(toNode));
      for (const [first, last] of layout.ranges) {
        for (let slot = Math.max(0, first); slot <= Math.min(SLOT_COUNT - 1, last); slot++) map.owner[slot] = index;
      }
    }
    return map;
  }

  private addShard(master: N, replicas: N[]): number {
    const existing = this.shardOf.get(master);
    if (existing !== undefined) return existing;
    const index = this.shards.length;
    this.shards.push({ master, replicas });
    this.shardOf.set(master, index);
    return index;
  }

  /** The shard serving `slot`, or `undefined` for a hole. */
  shardFor(slot: number): Shard<N> | undefined {
    const index = this.owner[slot];
    return index === NO_OWNER ? undefined : this.shards[index];
  }

  /** The master serving `slot`, or `undefined` for a hole. */
  masterFor(slot: number): N | undefined {
    const index = this.owner[slot];
    return index === NO_OWNER ? undefined : this.shards[index].master;
  }

  /**
   * Points `slot` at `master` (from a MOVED reply); a master not seen before gets a shard.
   * Returns whether the slot's master changed.
   */
  assign(slot: number, master: N): boolean {
    const before = this.masterFor(slot);
    this.owner[slot] = this.addShard(master, []);
    return before !== master;
  }

  /**
   * `replica` took over from `master` (it said so itself): every slot of that shard is its
   * now, at once, before the full refresh confirms it. Returns the slots that changed
   * master (none if `master` has no shard).
   */
  promote(master: N, replica: N): number[] {
    const index = this.shardOf.get(master);
    if (index === undefined || this.shardOf.has(replica)) return [];
    const replicas = this.shards[index].replicas.filter((r) => r !== replica);
    this.shards[index] = { master: replica, replicas };
    this.shardOf.delete(master);
    this.shardOf.set(replica, index);
    const slots: number[] = [];
    for (let slot = 0; slot < SLOT_COUNT; slot++) if (this.owner[slot] === index) slots.push(slot);
    return slots;
  }

  /** The slots whose master differs in `next` (a hole counts as a master of its own). */
  changedIn(next: SlotMap<N>): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < SLOT_COUNT; slot++) if (this.masterFor(slot) !== next.masterFor(slot)) slots.push(slot);
    return slots;
  }

  /** Every master, with or without slots. */
  masters(): N[] {
    return this.shards.map((s) => s.master);
  }

  /** Slots no master serves. */
  holes(): number {
    let count = 0;
    for (let slot = 0; slot < SLOT_COUNT; slot++) if (this.owner[slot] === NO_OWNER) count++;
    return count;
  }
}
