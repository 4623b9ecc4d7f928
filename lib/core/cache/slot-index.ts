import { hashSlot } from '../cluster/hash-slot.js';

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The cluster hash slot of a cache key (the key's bytes as a latin1 string). ASCII keys are
 * hashed as they are; others are turned back into their bytes first.
 */
export function slotOfCacheKey(key: string): number {
  return NON_ASCII.test(key) ? hashSlot(Buffer.from(key, 'latin1')) : hashSlot(key);
}

/**
 * Cached Redis keys by cluster hash slot, so a slot that changed master drops its keys
 * without walking the whole cache. Kept only once a cluster reported its slots: a key costs
 * one CRC16 when it enters the cache, nothing on a hit.
 */
export class SlotIndex {
  private readonly keys = new Map<number, Set<string>>();

  add(key: string): void {
    const slot = slotOfCacheKey(key);
    let keys = this.keys.get(slot);
    if (keys === undefined) {
      keys = new Set();
      this.keys.set(slot, keys);
    }
    keys.add(key);
  }

  remove(key: string): void {
    const slot = slotOfCacheKey(key);
    const keys = this.keys.get(slot);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.keys.delete(slot);
  }

  /** The keys cached from `slot` (a live view: removing keys while walking it is safe). */
  keysIn(slot: number): ReadonlySet<string> | undefined {
    return this.keys.get(slot);
  }

  clear(): void {
    this.keys.clear();
  }
}
