import type { EventEmitter } from 'node:events';
import type { Address, ResolvedOptions } from '../options.js';
import { formatAddress } from '../options.js';
import { CommunicationError, NodeRemovedError, RedisError, ReplyError } from '../errors.js';
import { UTF8_REPLIES } from '../resp/types.js';
import { pendingCall } from '../transport/pending.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import type { ServerPool } from '../pool/server-pool.js';
import { NodeSet } from '../routing/node-set.js';
import type { SlotOwners } from '../routing/router.js';
import { SLOT_COUNT } from './hash-slot.js';
import { Refresher } from '../routing/refresher.js';
import { checkNatMapped, NAT_CHECK_TIMEOUT_MS, NatMapVerdicts } from './nat-map-check.js';
import { SlotMap, parseClusterShards, parseClusterSlots, type HostPort, type ShardLayout } from './slot-map.js';


/** Periodic refresh: catches changes no reply told us about (new replicas, a quiet failover). */
const PERIODIC_REFRESH_MS = 30_000;
/** Triggered refreshes start at most this often; triggers in between are merged into one. */
const MIN_REFRESH_GAP_MS = 100;
/** A node that does not answer the topology query in this time is skipped. */
const QUERY_TIMEOUT_MS = 2000;
/** How many nodes one refresh asks before giving up (each after the previous failed). */
const QUERY_ATTEMPTS = 3;
/** A node that left the topology keeps its pool this long, so replies already on their way arrive. */
const RETIRE_DELAY_MS = 10_000;

/**
 * The cluster as this client knows it: the slot map, one `ServerPool` per node (keyed by
 * the `host:port` we connect to, after `natMap`), and the refresh machinery — on demand
 * after MOVED and failures (merged, so a reshard causes no storm of queries), when a node's
 * connection drops, and every 30 s.
 */
export class Topology {
  map: SlotMap<ServerPool> = new SlotMap();
  /** The layouts the current map was built from, as the cluster announced them. */
  private layouts: readonly ShardLayout[] = [];
  /** One pool per node, keyed by the `host:port` we connect to. */
  private readonly nodeSet: NodeSet;
  /** Pools named by the caller (`endpoint`): never retired by a refresh. */
  private readonly pinned = new Set<ServerPool>();
  private readonly seeds: readonly Address[];
  private readonly refresher: Refresher;
  /** With a `natMap`: tells a wrong mapping from a failover when a master cannot be reached. */
  private readonly natMapVerdicts: NatMapVerdicts | null;
  /** Asked first by the next load (a replica that just said it was promoted). */
  private preferred: ServerPool | null = null;
  private periodicTimer: NodeJS.Timeout | null = null;
  private useShards = true;
  private closed = false;
  private masterTurn = 0;
  /** Slots an ASK showed moving, until the map gives them their new master. */
  private readonly migrating = new Uint8Array(SLOT_COUNT);
  /** Called after every new slot map (the router releases calls held for a failover). */
  onChange: (() => void) | null = null;
  private readonly onDisconnect = (info: { address?: string }) => {
    if (info?.address !== undefined && this.nodeSet.find(info.address) !== undefined) this.scheduleRefresh();
  };

  constructor(
    private readonly options: ResolvedOptions,
    private readonly events: EventEmitter,
  ) {
    this.seeds = options.addresses;
    this.nodeSet = new NodeSet(options, events, options.readFrom === 'replica' ? sendReadOnly : null);
    this.refresher = new Refresher(() => this.load(), MIN_REFRESH_GAP_MS);
    this.natMapVerdicts = options.natMap === undefined ? null : new NatMapVerdicts();
  }

  /**
   * Loads the first topology from the seeds (skipping seeds that are down), checks that the
   * masters `natMap` moves answer there (`checkNatMapped`), then keeps it fresh.
   */
  async start(): Promise<void> {
    await this.refresh();
    if (this.options.natMap !== undefined) {
      const nodes = { translate: (host: string, port: number) => this.nodeSet.translate(host, port), announced: (host: string, port: number) => this.announced(host, port) };
      await checkNatMapped(this.layouts, nodes, this.options.connectTimeout ?? NAT_CHECK_TIMEOUT_MS);
    }
    this.events.on('disconnect', this.onDisconnect);
    this.periodicTimer = setInterval(() => this.scheduleRefresh(), PERIODIC_REFRESH_MS);
    this.periodicTimer.unref();
  }

  /** The pool for an address the cluster announced (MOVED, ASK, CLUSTER SHARDS), after `natMap`. */
  announced(host: string, port: number): ServerPool {
    const address = this.nodeSet.translate(host, port);
    const pool = this.nodeSet.pool(address);
    this.natMapVerdicts?.note(host, port, address, pool);
    return pool;
  }

  /** `ERR_NATMAP_UNREACHABLE` when `pool` (a master) failed to connect because of natMap, not an outage (`NatMapVerdicts`). */
  natMapUnreachable(pool: ServerPool, cause: Error | null): CommunicationError | null {
    return this.natMapVerdicts?.unreachable(pool, cause, this.layouts) ?? null;
  }

  /** The pool for an address the caller named; kept for the client's lifetime. */
  endpoint(address: Address): ServerPool {
    const pool = this.nodeSet.pool(address);
    this.pinned.add(pool);
    return pool;
  }

  /** Any master, in turn, for keyless commands. */
  anyMaster(): ServerPool {
    const shards = this.map.shards;
    if (shards.length === 0) throw new RedisError('The cluster has no known master', 'ERR_CLUSTER_EMPTY');
    return shards[this.masterTurn++ % shards.length].master;
  }

  /**
   * Asks for a refresh soon. Calls while one runs are merged into a single follow-up, and
   * refreshes start at most every `MIN_REFRESH_GAP_MS`: a reshard that answers thousands of
   * commands with MOVED costs a handful of queries, not thousands.
   */
  scheduleRefresh(): void {
    this.refresher.schedule();
  }

  /** Reloads the slot map now (joining a refresh already running). */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  /**
   * `replica` says it is a master now (ROLE) and `master` is unreachable: route the dead
   * master's slots to it at once (a wrong guess only costs a MOVED), then confirm with a
   * full refresh asked of it first.
   */
  promoted(master: ServerPool, replica: ServerPool): Promise<void> {
    const moved = this.map.promote(master, replica);
    if (moved.length > 0) {
      this.ownersChanged(moved);
      this.onChange?.();
    }
    return this.refreshFrom(replica);
  }

  /** Points `slot` at `master` at once (a MOVED reply), before the refresh it triggers confirms it. */
  assign(slot: number, master: ServerPool): void {
    if (this.map.assign(slot, master)) this.ownersChanged([slot]);
  }

  /**
   * An ASK for `slot`: it is moving to another master. Keys its current master does not
   * hold are now created on the importing one, which never saw this client's reads (a
   * cached `null` would never be invalidated): the slot counts as changing master, once
   * per migration and slot-map refresh (later ASKs only show what is already known).
   */
  asked(slot: number): void {
    if (this.migrating[slot] === 1) return;
    this.migrating[slot] = 1;
    this.events.emit('slot-owners-changed', { slots: [slot] });
  }

  /**
   * Where a slot's change of master is announced (MOVED, a promotion, any refresh, periodic
   * included; `asked` announces a migration's start without ending it): the client-side cache drops what it read from those slots, since
   * the new master never saw those reads and will send no invalidation for them.
   */
  private ownersChanged(slots: readonly number[]): void {
    for (const slot of slots) this.migrating[slot] = 0;
    this.events.emit('slot-owners-changed', { slots });
  }

  /** Reloads the slot map asking `pool` first, once any refresh already running is done (it may predate what `pool` knows). */
  async refreshFrom(pool: ServerPool): Promise<void> {
    await this.refresher.current?.catch(() => {});
    this.preferred = pool;
    return this.refresh();
  }

  /** Asks known nodes (masters first, in random order), then the seeds, until one answers. */
  private async load(): Promise<void> {
    const candidates: Address[] = [];
    const seen = new Set<string>();
    const add = (address: Address) => {
      const key = formatAddress(address);
      if (!seen.has(key)) {
        seen.add(key);
        candidates.push(address);
      }
    };
    if (this.preferred !== null) add(this.preferred.address);
    this.preferred = null;
    for (const shard of shuffle([...this.map.shards])) add(shard.master.address);
    for (const shard of this.map.shards) for (const replica of shard.replicas) add(replica.address);
    for (const seed of this.seeds) add(seed);

    const initial = this.map.shards.length === 0;
    let lastError: unknown;
    let asked = 0;
    for (const address of candidates) {
      // The first load walks every seed (some may be down); later ones need only a few answers.
      if (!initial && asked >= QUERY_ATTEMPTS) break;
      if (this.closed) return;
      // A node behind a closed reconnect gate would only answer after its backoff: during a
      // failover the others know the new master first.
      if (!initial && this.nodeSet.find(formatAddress(address))?.reachable === false) continue;
      asked++;
      try {
        const layouts = await this.query(address);
        if (layouts.length === 0) throw new RedisError(`${formatAddress(address)} reported no masters`, 'ERR_CLUSTER_EMPTY');
        // A node removed from the cluster (CLUSTER RESET) or not joined yet describes a
        // cluster of its own with no slots: believing it would drop every real node.
        if (layouts.every((layout) => layout.ranges.length === 0)) throw new RedisError(`${formatAddress(address)} reported no master serving any slot (not part of the cluster)`, 'ERR_CLUSTER_EMPTY');
        this.install(layouts);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    // Not "no seed answered": a seed may have answered with no usable cluster (ERR_CLUSTER_EMPTY).
    const message = initial ? 'No cluster seed gave a slot map' : 'Could not refresh the cluster topology';
    throw new CommunicationError(`${message} (${candidates.map(formatAddress).join(', ')}): ${(lastError as Error)?.message}`, {
      cause: lastError,
      code: (lastError as RedisError)?.code ?? 'ERR_CONNECT',
    });
  }

  private async query(address: Address): Promise<ShardLayout[]> {
    const pool = this.nodeSet.pool(address);
    const queried: HostPort = typeof address === 'string' ? ['localhost', 0] : address;
    if (this.useShards) {
      try {
        return parseClusterShards(await this.ask(pool, 'SHARDS'), queried, this.options.socketFactory === 'ssl');
      } catch (err) {
        // Servers before 7.0 have no CLUSTER SHARDS; remember, and use CLUSTER SLOTS from now on.
        if (!(err instanceof ReplyError && /unknown (sub)?command/i.test(err.message))) throw err;
        this.useShards = false;
      }
    }
    return parseClusterSlots(await this.ask(pool, 'SLOTS'), queried);
  }

  /** A topology query on the node's shared connection, bounded in time (a hung node must not stall refreshes). */
  private ask(pool: ServerPool, what: 'SHARDS' | 'SLOTS'): Promise<unknown> {
    const { pending, promise } = pendingCall(['CLUSTER', what], UTF8_REPLIES);
    pool.send(pending, 0);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommunicationError(`${pool.key} did not answer CLUSTER ${what} within ${QUERY_TIMEOUT_MS} ms`, { code: 'ERR_SOCKET_TIMEOUT' })), QUERY_TIMEOUT_MS);
      timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Replaces the slot map; nodes that left the topology are retired. */
  private install(layouts: readonly ShardLayout[]): void {
    const map = SlotMap.from(layouts, (hp) => this.announced(hp[0], hp[1]));
    this.layouts = layouts;
    const moved = this.map.changedIn(map);
    this.map = map;
    // A migration may have been abandoned (SETSLOT STABLE): the next ASK counts again.
    this.migrating.fill(0);
    if (moved.length > 0) this.ownersChanged(moved);
    this.events.emit('cluster-refresh', { masters: map.shards.map((shard) => shard.master.key) });
    const inUse = new Set<ServerPool>(this.pinned);
    for (const shard of map.shards) {
      inUse.add(shard.master);
      for (const replica of shard.replicas) inUse.add(replica);
    }
    // Subscribers and exclusive connections there learn why (NodeRemovedError), not close()'s ERR_CLIENT_CLOSED.
    this.nodeSet.retireAllBut(inUse, RETIRE_DELAY_MS, (pool) => new NodeRemovedError(pool.key));
    this.onChange?.();
  }

  /** The slot map after a refresh that started after this call: one that ran already may predate a slot move. */
  async slotOwners(): Promise<SlotOwners> {
    await this.refresher.current?.catch(() => {});
    await this.refresh();
    const owners = new Array<string>(SLOT_COUNT);
    const addresses = new Map<string, Address>();
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const master = this.map.masterFor(slot);
      owners[slot] = master?.key ?? '';
      if (master !== undefined) addresses.set(master.key, master.address);
    }
    return { owners, addresses };
  }

  /** Every master and replica, as `endpoints()` lists them. */
  nodes(): { pool: ServerPool; type: 'master' | 'replica' }[] {
    const out: { pool: ServerPool; type: 'master' | 'replica' }[] = [];
    for (const shard of this.map.shards) {
      out.push({ pool: shard.master, type: 'master' });
      for (const replica of shard.replicas) out.push({ pool: replica, type: 'replica' });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.off('disconnect', this.onDisconnect);
    if (this.periodicTimer !== null) clearInterval(this.periodicTimer);
    this.refresher.close();
    await this.nodeSet.close();
  }
}

/** READONLY on every new connection, so replicas serve reads (harmless on masters). */
async function sendReadOnly(connection: RedisConnection): Promise<void> {
  const { pending, promise } = pendingCall(['READONLY'], UTF8_REPLIES);
  connection.send(pending);
  await promise;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
