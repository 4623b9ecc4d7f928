/**
 * A first-in, first-out queue over an array with a moving head, so `shift()` is O(1)
 * (Array.prototype.shift is O(n) once arrays leave V8's fast path). Compacts lazily.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** How many queued items pass `predicate` (for gauges; O(n)). */
  count(predicate: (item: T) => boolean): number {
    let n = 0;
    for (let i = this.head; i < this.items.length; i++) if (predicate(this.items[i] as T)) n++;
    return n;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}
