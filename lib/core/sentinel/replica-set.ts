import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { NodeSet } from '../routing/node-set.js';
import { Refresher } from '../routing/refresher.js';

/** Refreshes start at most this often; requests in between are merged into one. */
const MIN_REFRESH_GAP_MS = 200;

/**
 * The replicas read-only commands may go to (`readFrom: 'replica'`), and that `endpoints()`
 * lists: one pool per healthy replica, in turn. Refreshed from the sentinels after a switch,
 * on their replica events and periodically; pools of replicas that left are retired (their
 * replies in flight still arrive).
 */
export class ReplicaSet {
  private pools: ServerPool[] = [];
  private turn = 0;
  private readonly refresher: Refresher;
  private closed = false;

  constructor(
    private readonly fetch: () => Promise<Address[]>,
    /** Makes and retires the replicas' pools (and closes them with the router). */
    private readonly nodes: NodeSet,
    /** The master's key: a sentinel may still list a just-promoted replica. */
    private readonly masterKey: () => string,
  ) {
    this.refresher = new Refresher(() => this.load(), MIN_REFRESH_GAP_MS);
  }

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
    this.refresher.schedule();
  }

  /** Reloads the list now (joining a refresh already running). A failure keeps the old list. */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  private async load(): Promise<void> {
    const addresses = await this.fetch();
    if (this.closed) return;
    const master = this.masterKey();
    const next: ServerPool[] = [];
    for (const address of addresses) {
      const key = formatAddress(address);
      if (key === master || next.some((p) => p.key === key)) continue;
      next.push(this.find(key) ?? this.nodes.open(address));
    }
    const gone = this.pools.filter((pool) => !next.includes(pool));
    this.pools = next;
    for (const pool of gone) this.nodes.retire(pool);
  }

  /** Stops refreshing and forgets the replicas; their pools close with the node set. */
  close(): void {
    this.closed = true;
    this.refresher.close();
    // A refresh still running sees `closed` when its answer comes and makes no pool.
    this.pools = [];
  }
}
