import type { EventEmitter } from 'node:events';
import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import { clientClosedError, closedByClientError, CommunicationError, ConnectionPoolError, ReplyError } from '../errors.js';
import { backoffMs, connect, isCertainFailure, type ConnectConfig } from '../transport/connect.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import { pendingCall, type Pending } from '../transport/pending.js';
import { Fifo } from '../transport/fifo.js';
import { Lease } from './lease.js';

/** A multiplexed connection for one database, plus calls waiting for it to connect. */
interface SharedSlot {
  readonly database: number;
  connection: RedisConnection | null;
  connecting: boolean;
  readonly waiting: Pending[];
  /** Set after a lost connection, so the next successful connect is reported as a recovery. */
  lost: boolean;
}

interface Waiter {
  resolve(connection: RedisConnection): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  /** Gave up (waitTimeout); left in the queue and skipped when reached. */
  done: boolean;
}

/** A pool's gauges, as `redis.stats()` reports them. */
export interface PoolGauges {
  /** `host:port` or socket path. */
  readonly address: string;
  /** Open shared (multiplexed) connections, one per database in use. */
  readonly shared: number;
  /** Exclusive connections lent out (or being opened for a borrower). */
  readonly exclusiveInUse: number;
  /** Exclusive connections idle in the pool. */
  readonly exclusiveIdle: number;
  /** Callers waiting for an exclusive connection (`maxConnections` reached). */
  readonly waiters: number;
}

/**
 * Every connection to one server: one shared, multiplexed connection per database for
 * `call`/`pipeline` (opened on first use, reopened on the next call after a loss), and a
 * pool of exclusive connections for `connection()`, transactions and blocking commands,
 * bounded by `maxConnections` with `waitTimeout`.
 */
export class ServerPool {
  readonly key: string;
  private readonly shared = new Map<number, SharedSlot>();
  private readonly idle: RedisConnection[] = [];
  private readonly waiters = new Fifo<Waiter>();
  private exclusiveCount = 0;
  private closed = false;
  /** Everything open, exclusive or shared, so `close()` reaches all of it. */
  private readonly open = new Set<RedisConnection>();
  /** Reconnect gate: consecutive connect rounds that failed to reach the server (0 while it is reachable). */
  private failedRounds = 0;
  /** While `failedRounds > 0`: when the next round may start. */
  private nextRoundAt = 0;
  /** While `failedRounds > 0`: the one round in progress; other callers wait for its outcome. */
  private probe: Promise<RedisConnection> | null = null;
  private cooldown: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  /** Whether a connection to the server was ever opened (a failure after that is an outage, not a wrong address). */
  private connectedOnce = false;
  /** Why the last connect round failed (`null` before any failure). */
  private lastFailure: Error | null = null;
  /** Aborted by `close()`: interrupts a connect (retry backoff, socket, handshake) in progress. */
  private readonly closing = new AbortController();

  constructor(
    readonly address: Address,
    private readonly config: ConnectConfig,
    private readonly limits: { maxConnections: number; waitTimeout: number | undefined },
    private readonly events: EventEmitter | null,
    /** Called on every new connection before use (e.g. READONLY on cluster replicas, CLIENT TRACKING). */
    private readonly prepare: ((connection: RedisConnection) => Promise<void>) | null = null,
  ) {
    this.key = formatAddress(address);
  }

  /** The database connections of this pool start on (and exclusive ones return to). */
  get database(): number {
    return this.config.database;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** False while the reconnect gate is closed: the last connect round failed to reach the server. */
  get reachable(): boolean {
    return this.failedRounds === 0;
  }

  /** Whether a connection to the server was ever opened. */
  get everConnected(): boolean {
    return this.connectedOnce;
  }

  /** Why the last connect round failed (`null` before any failure). */
  get lastConnectFailure(): Error | null {
    return this.lastFailure;
  }

  /** Sends on the shared connection of `database`, connecting first if needed. */
  send(pending: Pending, database: number): void {
    const slot = this.shared.get(database);
    const connection = slot?.connection;
    if (connection != null) {
      connection.send(pending);
      return;
    }
    this.enqueue(slot ?? this.newSlot(database), pending);
  }

  sendMany(pendings: readonly Pending[], database: number): void {
    for (let i = 0; i < pendings.length; i++) this.send(pendings[i], database);
  }

  private newSlot(database: number): SharedSlot {
    const slot: SharedSlot = { database, connection: null, connecting: false, waiting: [], lost: false };
    this.shared.set(database, slot);
    return slot;
  }

  private enqueue(slot: SharedSlot, pending: Pending): void {
    if (this.closed) {
      pending.fail(clientClosedError());
      return;
    }
    slot.waiting.push(pending);
    if (!slot.connecting) void this.openShared(slot);
  }

  private async openShared(slot: SharedSlot): Promise<void> {
    slot.connecting = true;
    let connection: RedisConnection;
    try {
      connection = await this.newConnection(slot.database);
    } catch (err) {
      slot.connecting = false;
      const waiting = slot.waiting.splice(0);
      for (const p of waiting) p.fail(err as Error);
      return;
    }
    slot.connecting = false;
    if (this.closed) {
      connection.destroy(clientClosedError(), false);
      for (const p of slot.waiting.splice(0)) p.fail(clientClosedError());
      return;
    }
    slot.connection = connection;
    if (slot.lost) {
      slot.lost = false;
      this.events?.emit('reconnect', { address: this.key });
    }
    connection.setCloseHandler((error, unsent) => {
      this.open.delete(connection);
      if (slot.connection === connection) slot.connection = null;
      // Every end, whatever its cause (loss, a refused set-up, this pool closed or retired):
      // whoever set the connection up on 'shared-connection' learns it is gone.
      this.events?.emit('shared-connection-end', { connection, pool: this });
      if (this.closed) {
        for (const p of unsent) p.fail(error);
        return;
      }
      slot.lost = true;
      if (connection.socket.bytesRead === 0) this.unreachable();
      this.events?.emit('disconnect', { address: this.key, error });
      // Calls never written are safe to send again; anything written already failed above.
      if (unsent.length > 0) for (const p of unsent) this.enqueue(slot, p);
    });
    // Listeners may queue set-up commands (CLIENT TRACKING); being synchronous and first
    // in the queue, those go out before any waiting call.
    this.events?.emit('shared-connection', { connection, pool: this });
    const waiting = slot.waiting.splice(0);
    for (const p of waiting) connection.send(p);
  }

  private async newConnection(database: number): Promise<RedisConnection> {
    const connection = await this.dial(database === this.config.database ? this.config : { ...this.config, database });
    if (this.prepare !== null) {
      try {
        await this.prepare(connection);
      } catch (err) {
        connection.destroy(err as Error, false);
        throw err;
      }
    }
    this.open.add(connection);
    return connection;
  }

  /**
   * `connect()` behind a gate shared by every caller of this pool (shared and exclusive
   * connections alike), so an outage under load cannot become a reconnect storm. Once the
   * server was found unreachable (a round of `connectRetry` attempts failed, or a connection
   * was lost before the server sent a byte), the next round starts only after a backoff
   * that grows with each failed round (full jitter, at most 2 s), one round at a time:
   * other callers wait for its outcome and fail with its error. While the gate is closed a
   * round counts as a success only once the server answered on the new connection.
   */
  private async dial(config: ConnectConfig): Promise<RedisConnection> {
    while (this.failedRounds > 0 && this.probe !== null) await this.probe;
    if (this.failedRounds === 0) return this.round(config);
    const probe = this.delayedRound(config);
    this.probe = probe;
    try {
      return await probe;
    } finally {
      if (this.probe === probe) this.probe = null;
    }
  }

  private async delayedRound(config: ConnectConfig): Promise<RedisConnection> {
    const wait = this.nextRoundAt - Date.now();
    if (wait > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        this.cooldown = { timer: setTimeout(resolve, wait), resolve };
      });
      this.cooldown = null;
    }
    if (this.closed) throw clientClosedError();
    return this.round(config);
  }

  private async round(config: ConnectConfig): Promise<RedisConnection> {
    let connection: RedisConnection | undefined;
    try {
      connection = await connect(this.address, config, this.closing.signal);
      // While the gate is closed, only an answer proves the server back. An empty handshake
      // (RESP2, no password, name or database) reads nothing, and a server that accepts and
      // hangs up at once would look reachable: ask it for a PING.
      if (this.failedRounds > 0 && connection.socket.bytesRead === 0) await answers(connection, config.connectTimeout);
      this.failedRounds = 0;
      this.connectedOnce = true;
      return connection;
    } catch (err) {
      this.lastFailure = err as Error;
      connection?.destroy(err as Error, false);
      // A refusal (password, certificate) says the server is there: no reconnect backoff,
      // and a cluster does not hold calls for it as for a dead node.
      if (!isCertainFailure(err)) this.unreachable();
      throw err;
    }
  }

  /** Closes the gate (or keeps it closed): the next round waits for the next backoff. */
  private unreachable(): void {
    const now = Date.now();
    // Failures seen together (every caller of one outage) count once.
    if (this.failedRounds > 0 && now < this.nextRoundAt) return;
    this.failedRounds++;
    this.nextRoundAt = now + backoffMs(this.failedRounds + 1);
  }

  /** Lends an exclusive connection (on the pool's default database); the lease gives it back. */
  async lease(): Promise<Lease> {
    return new Lease(await this.acquire(), this);
  }

  private acquire(): Promise<RedisConnection> {
    if (this.closed) return Promise.reject(clientClosedError());
    let connection: RedisConnection | undefined;
    while ((connection = this.idle.pop()) !== undefined) {
      if (!connection.closed) {
        connection.setCloseHandler(null);
        return Promise.resolve(connection);
      }
    }
    if (this.exclusiveCount < this.limits.maxConnections) return this.createExclusive();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, done: false };
      if (this.limits.waitTimeout !== undefined) {
        waiter.timer = setTimeout(() => {
          waiter.done = true;
          reject(new ConnectionPoolError(`No connection to ${this.key} became free within ${this.limits.waitTimeout} ms (maxConnections ${this.limits.maxConnections})`, 'ERR_POOL_TIMEOUT'));
        }, this.limits.waitTimeout);
      }
      this.waiters.push(waiter);
    });
  }

  private async createExclusive(): Promise<RedisConnection> {
    this.exclusiveCount++;
    try {
      return await this.newConnection(this.config.database);
    } catch (err) {
      this.exclusiveCount--;
      this.wakeWaiter();
      throw err;
    }
  }

  /** @internal For `Lease` only: takes back a connection its lease restored to the pool's state. */
  giveBack(connection: RedisConnection): void {
    if (connection.closed || this.closed || !connection.idle || connection.inPushMode) {
      this.drop(connection);
      return;
    }
    const waiter = this.nextWaiter();
    if (waiter !== undefined) {
      waiter.resolve(connection);
      return;
    }
    connection.setCloseHandler(() => this.forgetIdle(connection));
    this.idle.push(connection);
  }

  /** @internal For `Lease` only: closes an exclusive connection for good and frees its slot. */
  drop(connection: RedisConnection): void {
    // Lost (not given up by its user) before the server sent a byte: the server is not really there.
    if (connection.closed && connection.socket.bytesRead === 0 && !this.closed) this.unreachable();
    connection.setCloseHandler(null);
    connection.destroy(new CommunicationError(`Connection to ${this.key} was discarded`, { code: 'ERR_DISCARDED' }), false);
    this.open.delete(connection);
    this.exclusiveCount--;
    this.wakeWaiter();
  }

  private forgetIdle(connection: RedisConnection): void {
    const i = this.idle.indexOf(connection);
    if (i !== -1) this.idle.splice(i, 1);
    this.open.delete(connection);
    this.exclusiveCount--;
    this.wakeWaiter();
  }

  /** The oldest waiter still waiting, its timer stopped. */
  private nextWaiter(): Waiter | undefined {
    let waiter: Waiter | undefined;
    while ((waiter = this.waiters.shift()) !== undefined) {
      if (waiter.done) continue;
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      return waiter;
    }
    return undefined;
  }

  private wakeWaiter(): void {
    if (this.closed || this.exclusiveCount >= this.limits.maxConnections) return;
    const waiter = this.nextWaiter();
    if (waiter !== undefined) this.createExclusive().then(waiter.resolve, waiter.reject);
  }

  /** A snapshot of the pool's gauges. */
  gauges(): PoolGauges {
    let shared = 0;
    for (const slot of this.shared.values()) if (slot.connection !== null) shared++;
    return {
      address: this.key,
      shared,
      exclusiveInUse: this.exclusiveCount - this.idle.length,
      exclusiveIdle: this.idle.length,
      waiters: this.waiters.count((w) => !w.done),
    };
  }

  /**
   * Ends the push connections lent out (subscribers, MONITOR, the cache's invalidation
   * connection) with `reason`, leaving the pool open: a node that left the cluster's topology
   * keeps its pool for a grace period so replies in flight arrive, but a subscriber there
   * would hear nothing more and must move now. Their leases free their slots.
   */
  endPushConnections(reason: () => Error): void {
    for (const connection of [...this.open]) if (connection.inPushMode) connection.destroy(reason(), false);
  }

  /**
   * Closes everything: shared connections after their replies arrive, exclusive ones at once.
   * `reason` makes the error the exclusive and push connections still open end with (a
   * retired sentinel master: `MasterChangedError`; a node that left a cluster:
   * `NodeRemovedError`); by default it is `ERR_CLIENT_CLOSED`.
   */
  async close(reason?: () => Error): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(clientClosedError());
    if (this.cooldown !== null) {
      clearTimeout(this.cooldown.timer);
      this.cooldown.resolve();
    }
    const closedError = clientClosedError();
    let waiter: Waiter | undefined;
    while ((waiter = this.nextWaiter()) !== undefined) waiter.reject(closedError);
    const ends: Promise<void>[] = [];
    for (const slot of this.shared.values()) {
      for (const p of slot.waiting.splice(0)) p.fail(closedError);
      if (slot.connection !== null) ends.push(slot.connection.end());
    }
    await Promise.all(ends);
    const closing: Promise<void>[] = [];
    for (const connection of this.open) {
      // Close handlers stay: a push connection's lease must learn that it ended (and free its slot).
      connection.destroy(reason?.() ?? closedByClientError(`Connection to ${this.key}`), false);
      closing.push(connection.socketClosed);
    }
    this.open.clear();
    // Resolve only once the sockets are really gone: no handle outlives close().
    await Promise.all(closing);
    this.idle.length = 0;
  }
}

/** Resolves once the server answered a PING on `connection` (an error reply is an answer too). */
async function answers(connection: RedisConnection, timeoutMs: number | undefined): Promise<void> {
  const { pending, promise } = pendingCall(['PING'], { decoder: null, attributes: false });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => connection.destroy(new CommunicationError(`Connection to ${connection.where} got no answer within ${timeoutMs} ms`, { code: 'ERR_CONNECT_TIMEOUT' }), false), timeoutMs);
  connection.send(pending);
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
  } finally {
    clearTimeout(timer);
  }
}
