import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import type { ServerPool } from '../pool/server-pool.js';

/** Refreshes start at most this often; requests in between are merged into one. */
const MIN_REFRESH_GAP_MS = 200;

/**
 * The replicas read-only commands may go to (`readFrom: 'replica'`), and that `endpoints()`
 * lists: one pool per healthy replica, in turn. Refreshed from the sentinels after a switch,
 * on their replica events and periodically; pools of replicas that left are closed (their
 * replies in flight still arrive).
 */
export class ReplicaSet {
  private pools: ServerPool[] = [];
  private turn = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private delay: NodeJS.Timeout | null = null;
  private lastEnd = 0;
  private closed = false;

  constructor(
    private readonly fetch: () => Promise<Address[]>,
    private readonly makePool: (address: Address) => ServerPool,
    /** The master's key: a sentinel may still list a just-promoted replica. */
    private readonly masterKey: () => string,
  ) {}

  get list(): readonly ServerPool[] {
    return this.pools;
  }

  /** The next replica in turn, or undefined when none is known. */
  next(): ServerPool | undefined {
    const pools = this.pools;
    return pools.length === 0 ? undefined : pools[this.turn++ % pools.length];
  }

  find(key: string): ServerPool | undefined {
    return this.pools.find((pool) => pool.key === key);
  }

  /** Asks for a refresh soon (merged with one running or due). */
  schedule(): void {
    if (this.closed) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    if (this.delay !== null) return;
    const wait = this.lastEnd + MIN_REFRESH_GAP_MS - Date.now();
    this.delay = setTimeout(() => {
      this.delay = null;
      this.refresh().catch(() => {});
    }, Math.max(0, wait));
    this.delay.unref();
  }

  /** Reloads the list now (joining a refresh already running). A failure keeps the old list. */
  refresh(): Promise<void> {
    if (this.running !== null) return this.running;
    this.running = this.load().finally(() => {
      this.running = null;
      this.lastEnd = Date.now();
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
    return this.running;
  }

  private async load(): Promise<void> {
    const addresses = await this.fetch();
    if (this.closed) return;
    const master = this.masterKey();
    const next: ServerPool[] = [];
    for (const address of addresses) {
      const key = formatAddress(address);
      if (key === master || next.some((p) => p.key === key)) continue;
      next.push(this.find(key) ?? this.makePool(address));
    }
    const gone = this.pools.filter((pool) => !next.includes(pool));
    this.pools = next;
    for (const pool of gone) void pool.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.delay !== null) clearTimeout(this.delay);
    this.delay = null;
    // A refresh still running sees `closed` when its answer comes and makes no pool.
    const pools = this.pools;
    this.pools = [];
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
