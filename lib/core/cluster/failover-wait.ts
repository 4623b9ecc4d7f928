import { clientClosedError, CommunicationError, RedisError } from '../errors.js';
import { commandName } from '../command-kinds.js';
import { pendingCall } from '../transport/pending.js';
import { UTF8_REPLIES } from '../resp/types.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { RoutedCommand } from './routed-command.js';
import type { SlotMap } from './slot-map.js';

/** Refresh interval while a failover is awaited: about what a promotion's gossip needs to spread. */
const WATCH_INTERVAL_MS = 100;
/**
 * How often the replicas of a dead master are asked for their ROLE. The one that wins the
 * election knows first (the others learn by gossip); one tiny command per replica every
 * ~20 ms finds it within a few ms of the promotion, and warms the connection the calls go on.
 */
const ROLE_POLL_MS = 20;

/** What the wait needs of the topology. */
export interface FailoverTopology {
  readonly map: SlotMap<ServerPool>;
  /** Reloads the slot map now (joining one already running). */
  refresh(): Promise<void>;
  /** `replica` of the unreachable `master` says it is master now: route to it, then refresh from it. */
  promoted(master: ServerPool, replica: ServerPool): Promise<void>;
}

/**
 * Calls that cannot be sent yet because their slot's master is unreachable (connect refused,
 * gate closed), the cluster answered CLUSTERDOWN, or a demoted master answered READONLY.
 * None of them was executed, so each is dispatched again — once, to whichever master the
 * map names then — as soon as a refresh changes the map or the dead master answers again.
 *
 * While calls wait (or for `waitMs` after a master was found unreachable) the slot map is
 * refreshed every ~100 ms (jittered, one refresh at a time) from the nodes still reachable,
 * and the dead master's replicas are asked for their ROLE every ~20 ms: the one that says
 * master gets the dead master's slots at once, confirmed by a refresh asked of it first. The dead node's own reconnect backoff only
 * paces a PING probe to that node. Each call waits at most
 * `waitMs` from the moment it was first held, then fails with the error that held it.
 */
export class FailoverWait {
  private held: RoutedCommand[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  /** kick() while a refresh ran: that refresh may predate the change, so another follows at once. */
  private kicked = false;
  /** Keep watching (even with no call held) until then: a master was just found unreachable. */
  private watchUntil = 0;
  private readonly probing = new Set<ServerPool>();
  private roleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly topology: FailoverTopology,
    private readonly dispatch: (command: RoutedCommand) => void,
    readonly waitMs: number,
  ) {}

  /** Holds `command` (not sent anywhere) until the next map change or watch tick; `reason` is why. */
  hold(command: RoutedCommand, reason: Error): void {
    if (this.closed) {
      command.giveUp(clientClosedError());
      return;
    }
    const now = Date.now();
    if (command.waitUntil === 0) command.waitUntil = now + this.waitMs;
    if (now >= command.waitUntil) {
      command.giveUp(expired(command, reason, this.waitMs));
      return;
    }
    command.heldBy = reason;
    this.held.push(command);
    // A watch tick already due may be unref'd: a held call's caller is waiting on it now.
    if (this.timer !== null) this.timer.ref();
    else this.schedule(WATCH_INTERVAL_MS);
  }

  /** A master was found unreachable: refresh often for a while, even before a call waits. */
  watch(): void {
    this.watchUntil = Date.now() + this.waitMs;
    this.schedule(WATCH_INTERVAL_MS);
  }

  /** Refresh at once (a READONLY reply: the map is wrong now, no gossip to wait for). */
  kick(): void {
    if (this.ticking) {
      this.kicked = true;
      return;
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.schedule(0);
  }

  /** The map changed: every held call goes where it now points (or is held again). */
  release(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) this.dispatch(held[i]);
  }

  /** Next tick after about `base` ms (±20 % jitter, so clients do not refresh in lockstep), unless one is due or running. */
  private schedule(base: number): void {
    if (this.closed || this.ticking) return;
    if (this.timer !== null) return;
    const delay = base <= 0 ? 0 : base * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, delay));
    // Held calls keep the process alive (their callers await them); a bare watch does not.
    if (this.held.length === 0) this.timer.unref();
    this.scheduleRolePoll();
  }

  private watching(): boolean {
    return this.held.length > 0 || Date.now() < this.watchUntil;
  }

  private scheduleRolePoll(): void {
    if (this.closed || this.roleTimer !== null || !this.watching() || !this.deadMaster()) return;
    this.roleTimer = setTimeout(() => this.pollRoles(), ROLE_POLL_MS * (0.8 + Math.random() * 0.4));
    this.roleTimer.unref();
  }

  /** ROLE on every replica of a dead master (one query in flight per replica); a new master triggers a refresh from it. */
  private pollRoles(): void {
    this.roleTimer = null;
    if (this.closed) return;
    for (const shard of this.topology.map.shards) {
      const master = shard.master;
      if (master.reachable !== false) continue;
      for (const replica of shard.replicas) {
        if (this.probing.has(replica) || replica.isClosed || replica.reachable === false) continue;
        this.probing.add(replica);
        const { pending, promise } = pendingCall(['ROLE'], UTF8_REPLIES);
        replica.send(pending, replica.database);
        promise.then(
          (role) => {
            this.probing.delete(replica);
            if (this.closed || !Array.isArray(role) || role[0] !== 'master') return;
            // Promoted: the dead master's slots are its (onChange releases the calls there).
            if (this.topology.map.shards.some((s) => s.master === master)) this.topology.promoted(master, replica).catch(() => {});
          },
          () => this.probing.delete(replica),
        );
      }
    }
    this.scheduleRolePoll();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    this.ticking = true;
    try {
      await this.topology.refresh();
    } catch {
      // No node answered this time; the next tick asks again.
    } finally {
      this.ticking = false;
    }
    if (this.closed) return;
    this.probeDeadMasters();
    // Also expires calls past their wait (hold() checks the deadline).
    this.release();
    const again = this.kicked;
    this.kicked = false;
    if (again || this.held.length > 0 || (Date.now() < this.watchUntil && this.deadMaster())) this.schedule(again ? 0 : WATCH_INTERVAL_MS);
  }

  private deadMaster(): boolean {
    for (const shard of this.topology.map.shards) if (shard.master.reachable === false) return true;
    return false;
  }

  /**
   * A master the cluster still names, behind a closed reconnect gate: a PING through its
   * pool (paced by the gate's backoff, one at a time) finds out when it answers again — a
   * restart faster than a failover — and releases the calls held for it.
   */
  private probeDeadMasters(): void {
    for (const shard of this.topology.map.shards) {
      const pool = shard.master;
      if (pool.reachable !== false || this.probing.has(pool) || pool.isClosed) continue;
      this.probing.add(pool);
      const { pending, promise } = pendingCall(['PING'], UTF8_REPLIES);
      pool.send(pending, pool.database);
      promise.then(
        () => {
          this.probing.delete(pool);
          if (!this.closed) this.release();
        },
        () => this.probing.delete(pool),
      );
    }
  }

  /** Fails every held call; the caller closes the pools (which ends the probes). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.roleTimer !== null) clearTimeout(this.roleTimer);
    this.timer = null;
    this.roleTimer = null;
    const held = this.held;
    this.held = [];
    for (const command of held) command.giveUp(clientClosedError());
  }
}

function expired(command: RoutedCommand, reason: Error, waitMs: number): Error {
  const name = commandName(command.args[0]).toUpperCase();
  const what = command.slot >= 0 ? `hash slot ${command.slot}` : 'a master';
  const message = `${name} waited ${waitMs} ms (failoverWait) for ${what} to be served again; last: ${reason.message}`;
  // Unreachable master: a connection error, as without the wait. CLUSTERDOWN / READONLY: the cluster's own answer.
  if (reason instanceof CommunicationError) return new CommunicationError(message, { cause: reason, code: reason.code });
  return new RedisError(message, 'ERR_CLUSTER_FAILOVER_WAIT', { cause: reason });
}
