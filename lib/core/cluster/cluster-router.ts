import type { Address, ResolvedOptions } from '../options.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { CommunicationError, RedisError, ReplyError } from '../errors.js';
import { blockingTimeoutMs, commandName } from '../command-kinds.js';
import { Batch } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { Lease } from '../pool/lease.js';
import type { EndpointInfo, SlotOwners, TakenConnection } from '../routing/router.js';
import { RouterBase, sendOn } from '../routing/router-base.js';
import { hashSlot } from './hash-slot.js';
import { ANY_SLOT, KeyExtractor } from './key-extractor.js';
import { MULTI_KEY, mergeParts, splitBySlot, type SlotPart } from './multi-key.js';
import { NEVER_SENT, RoutedCommand, parseRedirect, type RedirectHandler } from './routed-command.js';
import { explainOnConnection, sendAsking } from './exclusive-call.js';
import { runBatchExclusive, runExclusive } from '../pool/exclusive.js';
import type { Topology } from './topology.js';
import { FailoverWait } from './failover-wait.js';

/**
 * Routes every command to the node that owns its slot and follows the cluster's answers:
 * MOVED (fix the map, retry there, refresh soon), ASK (ASKING + the command on the
 * importing node, once), TRYAGAIN (retry with backoff). Redirects, retries and failed
 * connects count against `maxRedirections`; past it the caller gets a `RedisError` with
 * code `ERR_CLUSTER_REDIRECTIONS`.
 *
 * Failover: a call for a slot whose master is unreachable, a CLUSTERDOWN answer and a
 * READONLY answer (a demoted master) are held by `FailoverWait` — bounded by `failoverWait`,
 * not counted as redirections — and sent once to the master the refreshed map names. Not
 * so a master that `natMap` moves and that was never reached: no failover will fix that, so
 * its calls fail with `ERR_NATMAP_UNREACHABLE` (`Topology.natMapUnreachable`); keyless ones
 * go to another master.
 *
 * With `readFrom: 'replica'`, commands the server flags `readonly` go to the slot's replicas
 * in turn (replication is asynchronous: a read may not see a write just made); blocking
 * commands and exclusive connections always use masters. A write whose connection broke
 * after it was sent is not re-sent (it may have run); a read is.
 */
export class ClusterRouter extends RouterBase implements RedirectHandler {
  private readonly keys: KeyExtractor;
  private readonly encoding: BufferEncoding;
  private readonly maxRedirections: number;
  private readonly readFromReplica: boolean;
  private replicaTurn = 0;
  private readonly failover: FailoverWait;

  constructor(
    private readonly topology: Topology,
    options: ResolvedOptions,
  ) {
    super();
    this.encoding = options.encoder;
    this.maxRedirections = options.maxRedirections;
    this.readFromReplica = options.readFrom === 'replica';
    this.keys = new KeyExtractor((args, settings) => this.sendAnywhere(args, settings), options.encoder);
    this.failover = new FailoverWait(topology, (command) => this.dispatch(command), options.failoverWait);
    topology.onChange = () => this.failover.release();
  }

  /** The same table routing uses: COMMAND INFO asked of any master. */
  get commands(): KeyExtractor {
    return this.keys;
  }

  send(args: readonly CommandArg[], settings: DecodeSettings, database: number): Promise<unknown> {
    const name = commandName(args[0]);
    const multi = MULTI_KEY.get(name);
    if (multi !== undefined) {
      const parts = splitBySlot(args, multi, this.encoding);
      if (parts !== null) return this.sendParts(multi, parts, settings, database);
    }
    const spec = this.keys.lookup(name, args);
    if (spec === undefined) return this.keys.load([name]).then(() => this.send(args, settings, database));
    const slot = this.keys.slotOf(spec, args);
    const readOnly = spec !== null && spec.readonly;
    if (typeof slot !== 'number') return slot.then((s) => this.sendToSlot(args, settings, database, s, readOnly));
    return this.sendToSlot(args, settings, database, slot, readOnly);
  }

  private sendToSlot(args: readonly CommandArg[], settings: DecodeSettings, database: number, slot: number, readOnly: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.dispatch(this.routed(new RoutedCommand(args, settings, resolve, reject, null, 0, this, database, readOnly), slot));
    });
  }

  /** MGET/MSET/DEL/... across slots: one command per slot, concurrently, replies merged. */
  private sendParts(kind: NonNullable<ReturnType<typeof MULTI_KEY.get>>, parts: SlotPart[], settings: DecodeSettings, database: number): Promise<unknown> {
    const replies = parts.map((part) => this.sendToSlot(part.args, settings, database, part.slot, kind.readonly));
    return Promise.all(replies).then((values) => mergeParts(kind, parts, values, settings.attributes));
  }

  /** Internal queries (COMMAND INFO / GETKEYS) on any master, following redirects like any call. */
  private sendAnywhere(args: readonly CommandArg[], settings: DecodeSettings): Promise<unknown> {
    return this.sendToSlot(args, settings, 0, ANY_SLOT, false);
  }

  private routed(command: RoutedCommand, slot: number): RoutedCommand {
    command.slot = slot;
    return command;
  }

  /** Sends a routed command to the node its slot maps to now. */
  private dispatch(command: RoutedCommand): void {
    let pool: ServerPool;
    command.onReplica = false;
    if (command.slot === ANY_SLOT) {
      try {
        pool = this.topology.anyMaster();
        // Any master will do: prefer one that is reachable.
        for (let i = this.topology.map.shards.length; i > 1 && pool.reachable === false; i--) pool = this.topology.anyMaster();
      } catch (err) {
        command.giveUp(err as Error);
        return;
      }
    } else {
      const shard = this.topology.map.shardFor(command.slot);
      if (shard === undefined) {
        // A hole: no master serves the slot (yet). Same treatment as CLUSTERDOWN.
        const error = new RedisError(`No cluster node serves hash slot ${command.slot}`, 'ERR_CLUSTER_SLOT_UNSERVED');
        if (this.countAttempt(command, error)) this.retryLater(command, true);
        return;
      }
      const replicas = shard.replicas;
      if (command.readOnly && this.readFromReplica && replicas.length > 0 && !command.masterOnly) {
        pool = replicas[this.replicaTurn++ % replicas.length];
        command.onReplica = true;
      } else pool = shard.master;
    }
    if (pool.reachable === false && !command.onReplica) {
      // Never reached because natMap sends it nowhere: no failover will fix that.
      const natMapError = this.topology.natMapUnreachable(pool, pool.lastConnectFailure);
      if (natMapError !== null) return command.giveUp(natMapError);
      // Its reconnect gate is closed: wait for a replica to take over (or the master to
      // answer again) rather than queue behind the gate's backoff.
      this.failover.hold(command, command.heldBy ?? new CommunicationError(`${pool.key} is unreachable`, { code: 'ERR_CONNECT' }));
      return;
    }
    command.node = pool;
    pool.send(command, command.database);
  }

  onClusterReply(command: RoutedCommand, error: ReplyError): void {
    if (error.code === 'CLUSTERDOWN') {
      // A failover is running (a master is marked failed, no replica promoted yet): the
      // command was not executed; it waits for the cluster, bounded by failoverWait.
      this.topology.scheduleRefresh();
      this.failover.hold(command, error);
      return;
    }
    if (!this.countAttempt(command, error)) return;
    switch (error.code) {
      case 'MOVED': {
        const target = this.redirectTarget(command, error);
        if (target === null) return;
        command.slot = target.slot;
        this.topology.assign(target.slot, target.pool);
        this.topology.scheduleRefresh();
        this.dispatch(command);
        return;
      }
      case 'ASK': {
        const target = this.redirectTarget(command, error);
        if (target === null) return;
        this.topology.asked(target.slot);
        command.node = target.pool;
        command.onReplica = false;
        sendAsking(target.pool, command, command.database);
        return;
      }
      case 'READONLY':
        // The master was demoted (CLUSTER FAILOVER on its replica) and our map does not know
        // yet. The command was refused, not executed: refresh now and send it to the new master.
        command.masterOnly = true;
        this.failover.hold(command, error);
        this.failover.kick();
        return;
      case 'LOADING':
      case 'MASTERDOWN':
        // A replica that cannot serve yet: its master can, now.
        command.masterOnly = true;
        this.dispatch(command);
        return;
      default:
        // TRYAGAIN: keys of a multi-key command mid-migration.
        this.retryLater(command, false);
    }
  }

  onUnreachable(command: RoutedCommand, error: Error): void {
    if (!this.countAttempt(command, error)) return;
    if (command.onReplica) {
      command.masterOnly = true;
      this.retryLater(command, true);
      return;
    }
    const natMapError = command.node === null ? null : this.topology.natMapUnreachable(command.node, error);
    if (natMapError !== null) {
      // A keyless call goes to another master (the gate of this one is closed now); one for
      // this node's slots fails at once instead of waiting for a failover that will not come.
      if (command.slot === ANY_SLOT) this.dispatch(command);
      else command.giveUp(natMapError);
      return;
    }
    // Nothing was written (or it was a read): hold it until the map names a master that answers.
    this.topology.scheduleRefresh();
    this.failover.watch();
    this.failover.hold(command, error);
  }

  /** Counts a redirect or retry; past the bound, fails the command and returns false. */
  private countAttempt(command: RoutedCommand, error: Error): boolean {
    if (command.attempts++ < this.maxRedirections) return true;
    const name = commandName(command.args[0]).toUpperCase();
    command.giveUp(
      new RedisError(`${name} was redirected or retried ${this.maxRedirections} times (maxRedirections) without an answer; last: ${error.message}`, 'ERR_CLUSTER_REDIRECTIONS', {
        cause: error,
      }),
    );
    return false;
  }

  private redirectTarget(command: RoutedCommand, error: ReplyError): { slot: number; pool: ServerPool } | null {
    const r = parseRedirect(error.message);
    if (r === null) {
      command.giveUp(error);
      return null;
    }
    // An empty host means "the host you reached me on" (nodes with an unknown endpoint).
    const host = r.host !== '' ? r.host : command.node !== null ? hostOf(command.node) : '127.0.0.1';
    return { slot: r.slot, pool: this.topology.announced(host, r.port) };
  }

  /**
   * Re-dispatches after a backoff (25 ms doubling to 500 ms, with jitter), refreshing the
   * map meanwhile when asked. With the default 16 attempts a call waits out about 5 s of
   * CLUSTERDOWN or an unreachable master — a failover with a short cluster-node-timeout.
   */
  private retryLater(command: RoutedCommand, refresh: boolean): void {
    if (refresh) this.topology.scheduleRefresh();
    const ceiling = retryCeiling(command.attempts);
    setTimeout(() => this.dispatch(command), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  async pipeline(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[], database: number): Promise<unknown[]> {
    const n = commands.length;
    if (n === 0) return [];
    const names = commands.map((c) => commandName(c[0]));
    const missing = names.filter((name, i) => this.keys.lookup(name, commands[i]) === undefined);
    if (missing.length > 0) await this.keys.load(missing);

    // Every route first (GETKEYS may be asynchronous), then every send in one synchronous
    // pass, so commands bound for the same node keep the caller's order on its socket.
    const slots = new Array<number>(n);
    const readOnly = new Array<boolean>(n);
    const parts = new Array<SlotPart[] | null>(n).fill(null);
    const waits: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const multi = MULTI_KEY.get(names[i]);
      if (multi !== undefined && (parts[i] = splitBySlot(commands[i], multi, this.encoding)) !== null) continue;
      const spec = this.keys.lookup(names[i], commands[i]) ?? null;
      readOnly[i] = spec !== null && spec.readonly;
      const slot = this.keys.slotOf(spec, commands[i]);
      if (typeof slot === 'number') slots[i] = slot;
      else waits.push(slot.then((s) => void (slots[i] = s)));
    }
    if (waits.length > 0) await Promise.all(waits);

    return new Promise<unknown[]>((resolve) => {
      const batch = new Batch(n, resolve);
      for (let i = 0; i < n; i++) {
        const split = parts[i];
        if (split !== null) {
          const kind = MULTI_KEY.get(names[i])!;
          this.sendParts(kind, split, settings[i], database).then(
            (value) => batch.settle(i, value),
            (err: unknown) => batch.settle(i, err),
          );
        } else {
          this.dispatch(this.routed(new RoutedCommand(commands[i], settings[i], null, null, batch, i, this, database, readOnly[i]), slots[i]));
        }
      }
    });
  }

  async sendBlocking(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs: number): Promise<unknown> {
    const name = commandName(args[0]);
    if (this.keys.lookup(name, args) === undefined) await this.keys.load([name]);
    const spec = this.keys.lookup(name, args) ?? null;
    let slot = await this.keys.slotOf(spec, args);
    let asking: ServerPool | null = null;
    for (let attempt = 0; ; attempt++) {
      const pool = asking ?? this.masterOf(slot);
      try {
        return await runExclusive(pool, args, settings, database, blockMs, asking !== null);
      } catch (err) {
        // Redirects, and a master that could not even be connected to (nothing was sent).
        const code = err instanceof ReplyError || (err instanceof CommunicationError && NEVER_SENT.has(err.code)) ? err.code : '';
        if (NEVER_SENT.has(code)) throwIfNatMapped(this.topology.natMapUnreachable(pool, err as Error));
        if ((code !== 'MOVED' && code !== 'ASK' && code !== 'TRYAGAIN' && code !== 'CLUSTERDOWN' && !NEVER_SENT.has(code)) || attempt >= this.maxRedirections) throw err;
        asking = null;
        const r = parseRedirect((err as Error).message);
        if (code === 'MOVED' && r !== null) {
          slot = r.slot;
          this.topology.assign(r.slot, this.topology.announced(r.host || hostOf(pool), r.port));
          this.topology.scheduleRefresh();
        } else if (code === 'ASK' && r !== null) {
          this.topology.asked(r.slot);
          asking = this.topology.announced(r.host || hostOf(pool), r.port);
        } else {
          if (code !== 'TRYAGAIN') this.topology.scheduleRefresh();
          await new Promise((resolve) => setTimeout(resolve, retryCeiling(attempt + 1)));
        }
      }
    }
  }

  /**
   * A pipeline holding a blocking command runs on one exclusive connection, on the master of
   * its first keyed command. A command answered MOVED or ASK there did not run, so it is sent
   * again on its own, in the pipeline's order, through `send`/`sendBlocking` (which follow
   * redirects; a MOVED fixes the map first). The others ran where they were and their replies
   * stand: the re-sent commands run after them, not between them.
   */
  override async pipelineBlocking(
    commands: readonly (readonly CommandArg[])[],
    settings: readonly DecodeSettings[],
    database: number,
    blockMs: readonly number[],
  ): Promise<unknown[]> {
    const n = commands.length;
    const names = commands.map((c) => commandName(c[0]));
    const missing = names.filter((name, i) => this.keys.lookup(name, commands[i]) === undefined);
    if (missing.length > 0) await this.keys.load(missing);
    let slot = ANY_SLOT;
    for (let i = 0; i < n && slot === ANY_SLOT; i++) slot = await this.keys.slotOf(this.keys.lookup(names[i], commands[i]) ?? null, commands[i]);
    const pool = this.masterOf(slot);
    const results = await runBatchExclusive(await this.leaseOn(pool), commands, settings, database, blockMs);
    for (let i = 0; i < n; i++) {
      const reply = results[i];
      if (!(reply instanceof ReplyError) || (reply.code !== 'MOVED' && reply.code !== 'ASK')) continue;
      const moved = reply.code === 'MOVED' ? parseRedirect(reply.message) : null;
      if (moved !== null) {
        this.topology.assign(moved.slot, this.topology.announced(moved.host || hostOf(pool), moved.port));
        this.topology.scheduleRefresh();
      }
      // blockMs[i] is 0 both for "not blocking" and for "blocks forever": ask the table again.
      const block = blockingTimeoutMs(names[i], commands[i]);
      const again = block === undefined ? this.send(commands[i], settings[i], database) : this.sendBlocking(commands[i], settings[i], database, block);
      results[i] = await again.catch((err: unknown) => err);
    }
    return results;
  }

  protected endpointPool(endpoint: Address): ServerPool {
    return this.topology.endpoint(endpoint);
  }

  /** Every master, concurrently. Redirects are not followed: each node's own answer is the result. */
  async fanOut(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs?: number): Promise<Map<string, unknown>> {
    const masters = this.topology.map.masters();
    const replies = masters.map((pool) => sendOn(pool, args, settings, database, blockMs).catch((err: unknown) => err));
    const values = await Promise.all(replies);
    const result = new Map<string, unknown>();
    for (let i = 0; i < masters.length; i++) result.set(masters[i].key, values[i]);
    return result;
  }

  /**
   * An exclusive connection: on the master owning `key`, on `endpoint`, or on any master.
   * A transaction runs on that one node, so every key it touches must live there (share a
   * hash tag, e.g. `{user:1}:name` and `{user:1}:visits`); other keys answer MOVED.
   */
  async take(options: { key?: CommandArg; endpoint?: Address }): Promise<TakenConnection> {
    let pool: ServerPool;
    if (options.endpoint !== undefined) pool = this.topology.endpoint(options.endpoint);
    else pool = this.masterOf(options.key === undefined ? ANY_SLOT : hashSlot(options.key, this.encoding));
    return { lease: await this.leaseOn(pool), explainError: explainOnConnection(pool.key) };
  }

  /** The master for an exclusive connection: the slot's (`ANY_SLOT`: any master, in turn). */
  private masterOf(slot: number): ServerPool {
    if (slot === ANY_SLOT) return this.topology.anyMaster();
    const owner = this.topology.map.masterFor(slot);
    if (owner === undefined) throw new RedisError(`No cluster node serves hash slot ${slot}`, 'ERR_CLUSTER_SLOT_UNSERVED');
    return owner;
  }

  /** An exclusive connection on `pool`; one natMap sends nowhere fails with `ERR_NATMAP_UNREACHABLE`, not the bare connect failure. */
  private async leaseOn(pool: ServerPool): Promise<Lease> {
    try {
      return await pool.lease();
    } catch (err) {
      if (err instanceof CommunicationError && NEVER_SENT.has(err.code)) throwIfNatMapped(this.topology.natMapUnreachable(pool, err));
      throw err;
    }
  }

  async endpoints(): Promise<EndpointInfo[]> {
    return this.topology.nodes().map(({ pool, type }) => ({ address: pool.address, type }));
  }

  pools(): ServerPool[] {
    return this.topology.nodes().map((node) => node.pool);
  }

  slotOwners(): Promise<SlotOwners> {
    return this.topology.slotOwners();
  }

  close(): Promise<void> {
    this.failover.close();
    return this.topology.close();
  }
}

/** Backoff ceiling before retry number `attempt` (1-based): 25 ms doubling, capped at 500 ms. */
function retryCeiling(attempt: number): number {
  return Math.min(500, 25 * 2 ** Math.max(0, attempt - 1));
}

/** natMap sends the node nowhere (`Topology.natMapUnreachable`): say that, not the bare connect failure. */
function throwIfNatMapped(error: CommunicationError | null): void {
  if (error !== null) throw error;
}

function hostOf(pool: ServerPool): string {
  return typeof pool.address === 'string' ? 'localhost' : pool.address[0];
}
