import { SLOT_COUNT } from '../cluster/hash-slot.js';
import { SlotIndex, slotOfCacheKey } from './slot-index.js';

/** One cached reply. */
interface Entry {
  readonly redisKey: string;
  readonly value: unknown;
  readonly expires: number;
}

/**
 * The memory of client-side caching: replies by command signature, in least-recently-used
 * order (a Map keeps insertion order; a hit re-inserts), indexed by the Redis key they
 * depend on so an invalidation drops every reply that read that key.
 *
 * Reads in flight are counted per key: an invalidation that arrives while a read of that
 * key is on its way marks it, and the reply is then not stored (it may predate the write).
 */
export class LruCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byKey = new Map<string, Set<string>>();
  private readonly inflight = new Map<string, { count: number; invalidated: boolean }>();
  /** Keys by cluster hash slot, once `dropSlots` was first called (a cluster client). */
  private slots: SlotIndex | null = null;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttl: number | undefined,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached reply, or `undefined`. */
  get(signature: string): unknown {
    const entry = this.entries.get(signature);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    if (entry.expires !== 0 && entry.expires <= Date.now()) {
      this.remove(signature, entry.redisKey);
      this.misses++;
      return undefined;
    }
    this.entries.delete(signature);
    this.entries.set(signature, entry);
    this.hits++;
    return entry.value;
  }

  /** Call before sending a read of `redisKey`; pass the returned token to `settle`. */
  begin(redisKey: string): { count: number; invalidated: boolean } {
    let mark = this.inflight.get(redisKey);
    if (mark === undefined) {
      mark = { count: 0, invalidated: false };
      this.inflight.set(redisKey, mark);
    }
    mark.count++;
    return mark;
  }

  /** The read's reply arrived: store it unless the key was invalidated meanwhile. */
  settle(redisKey: string, signature: string, mark: { count: number; invalidated: boolean }, value: unknown, store: boolean): void {
    if (store && !mark.invalidated) this.set(redisKey, signature, value);
    if (--mark.count === 0 && this.inflight.get(redisKey) === mark) this.inflight.delete(redisKey);
  }

  private set(redisKey: string, signature: string, value: unknown): void {
    const old = this.entries.get(signature);
    if (old !== undefined) this.entries.delete(signature);
    this.entries.set(signature, { redisKey, value, expires: this.ttl === undefined ? 0 : Date.now() + this.ttl });
    let sigs = this.byKey.get(redisKey);
    if (sigs === undefined) {
      sigs = new Set();
      this.byKey.set(redisKey, sigs);
      this.slots?.add(redisKey);
    }
    sigs.add(signature);
    while (this.entries.size > this.maxEntries) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry];
      this.remove(oldest, entry.redisKey);
    }
  }

  private remove(signature: string, redisKey: string): void {
    this.entries.delete(signature);
    const sigs = this.byKey.get(redisKey);
    if (sigs !== undefined) {
      sigs.delete(signature);
      if (sigs.size === 0) this.forgetKey(redisKey);
    }
  }

  /** Drops every reply that read `redisKey`, and spoils reads of it in flight. */
  invalidate(redisKey: string): void {
    const mark = this.inflight.get(redisKey);
    if (mark !== undefined) mark.invalidated = true;
    const sigs = this.byKey.get(redisKey);
    if (sigs === undefined) return;
    for (const sig of sigs) this.entries.delete(sig);
    this.forgetKey(redisKey);
  }

  private forgetKey(redisKey: string): void {
    this.byKey.delete(redisKey);
    this.slots?.remove(redisKey);
  }

  /**
   * Drops every reply that read a key of these cluster hash slots, and spoils such reads in
   * flight (their reply may come from the master the slot just left). The first call starts
   * indexing keys by slot, so later ones cost only the keys they drop.
   */
  dropSlots(slots: readonly number[]): void {
    if (slots.length === SLOT_COUNT) return this.clear(); // a first slot map, or every slot moved
    if (this.slots === null) {
      this.slots = new SlotIndex();
      for (const key of this.byKey.keys()) this.slots.add(key);
    }
    if (this.inflight.size > 0) {
      const moved = new Uint8Array(SLOT_COUNT);
      for (const slot of slots) moved[slot] = 1;
      for (const [key, mark] of this.inflight) if (moved[slotOfCacheKey(key)] === 1) mark.invalidated = true;
    }
    for (const slot of slots) {
      const keys = this.slots.keysIn(slot);
      if (keys !== undefined) for (const key of keys) this.invalidate(key);
    }
  }

  /** Drops everything, and spoils every read in flight. */
  clear(): void {
    for (const mark of this.inflight.values()) mark.invalidated = true;
    this.entries.clear();
    this.byKey.clear();
    this.slots?.clear();
  }
}
