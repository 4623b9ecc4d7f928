import type { EventEmitter } from 'node:events';
import type { Address, ResolvedOptions } from '../options.js';
import { formatAddress } from '../options.js';
import { clientClosedError, MasterChangedError, ReplyError } from '../errors.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { Batch } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import { runExclusive } from '../pool/exclusive.js';
import type { EndpointInfo, TakenConnection } from '../routing/router.js';
import { NodeSet, type Prepare } from '../routing/node-set.js';
import { SingleMasterRouter } from '../routing/router-base.js';
import type { SentinelDiscovery } from './discovery.js';
import { EventWatcher } from './event-watcher.js';
import { assertMaster } from './probe.js';
import { isReadOnlyCommand } from './read-only.js';
import { ReplicaSet } from './replica-set.js';
import type { SentinelEvent } from './replies.js';
import { MAX_RESENDS, SentinelCommand, isReadOnlyReply, wasNeverSent, type ResendHandler } from './sentinel-command.js';

/**
 * How long a switch to a new master may take before the calls waiting for it fail. It
 * covers the sentinels noticing a dead master (`down-after-milliseconds`), electing a
 * leader and promoting a replica; past it the caller hears about it rather than hanging.
 */
export const SWITCH_TIMEOUT_MS = 10_000;
/** Catches replica changes no event told us about. */
const REPLICA_REFRESH_MS = 30_000;

/**
 * Routes everything to the master the sentinels name, and follows it when it moves.
 *
 * A switch starts on a `+switch-master` message, on a READONLY reply, on a lost master
 * connection, or when a connection to the master cannot be opened or fails its ROLE check.
 * While it runs, new calls wait (bounded by `SWITCH_TIMEOUT_MS`) and then go to the new
 * master; the old master's pools are closed, so nothing more is written there (exclusive and
 * push connections taken there end with `MasterChangedError`, code `ERR_MASTER_CHANGED`). Calls
 * already written to the old master are not re-sent (they may have run): they get their
 * reply or a CommunicationError — except READONLY replies, which prove the write did not
 * happen and are retried once on the new master.
 *
 * With `readFrom: 'replica'` read-only commands go to the replicas in turn (a pipeline only
 * when every command in it reads), and back to the master when a replica cannot serve.
 */
export class SentinelRouter extends SingleMasterRouter implements ResendHandler {
  private master: ServerPool;
  /** The switch under way; calls wait on it. Resolves to the (possibly unchanged) master. */
  private switching: Promise<ServerPool> | null = null;
  /** An address a `+switch-master` message announced, tried first by the next discovery round. */
  private hint: Address | null = null;
  private readonly replicas: ReplicaSet;
  private readonly watcher: EventWatcher;
  /**
   * Every pool: the master's and each replica's of their own (`open`: a promoted replica's
   * pool has no ROLE check, so the new master gets a new pool), and keyed ones for servers
   * the caller named that are neither the master nor a known replica.
   */
  private readonly nodes: NodeSet;
  private readonly readFromReplica: boolean;
  private readonly masterPrepare: Prepare;
  private readonly refreshTimer: NodeJS.Timeout;
  private closed = false;
  private readonly onDisconnect = (info: { address?: string } | undefined) => {
    if (info?.address === this.master.key) void this.rediscover();
  };

  constructor(
    options: ResolvedOptions,
    private readonly events: EventEmitter,
    private readonly discovery: SentinelDiscovery,
    masterAddress: Address,
    /** Extra set-up of every data connection (client-side caching, ...), after the ROLE check. */
    prepare: Prepare | null = null,
  ) {
    super();
    this.readFromReplica = options.readFrom === 'replica';
    this.nodes = new NodeSet(options, events, prepare);
    // Every master connection confirms ROLE master first: a reconnect that lands on a
    // demoted master fails before anything is written, and starts a rediscovery.
    this.masterPrepare = prepare === null ? assertMaster : async (c) => (await assertMaster(c), await prepare(c));
    this.master = this.nodes.open(masterAddress, this.masterPrepare);
    this.replicas = new ReplicaSet(() => discovery.findReplicas(), this.nodes, () => this.master.key);
    this.watcher = new EventWatcher(
      () => discovery.sentinels,
      discovery.sentinelSettings,
      discovery.masterName,
      (event) => this.onSentinelEvent(event),
      () => {
        void this.rediscover();
        this.replicas.schedule();
      },
    );
    this.events.on('disconnect', this.onDisconnect);
    this.refreshTimer = setInterval(() => this.replicas.schedule(), REPLICA_REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** Loads the replicas and subscribes to the sentinels' events; neither failing stops the client. */
  async start(): Promise<void> {
    await Promise.all([this.replicas.refresh().catch(() => {}), this.watcher.start()]);
  }

  // --- following the master ---

  private onSentinelEvent(event: SentinelEvent): void {
    if (event.kind === 'switch-master') void this.rediscover(event.address);
    this.replicas.schedule();
  }

  /** Starts a switch (or joins the one under way); `hint` is tried first. */
  private rediscover(hint?: Address): Promise<ServerPool> {
    if (this.closed) return Promise.reject(clientClosedError());
    if (hint !== undefined) this.hint = hint;
    if (this.switching !== null) return this.switching;
    const switching: Promise<ServerPool> = this.switchMaster().finally(() => {
      if (this.switching === switching) this.switching = null;
    });
    this.switching = switching;
    // Waiting calls see a failure through their own `then`; nobody else must trip on it.
    switching.catch(() => {});
    return switching;
  }

  private async switchMaster(): Promise<ServerPool> {
    const deadline = Date.now() + SWITCH_TIMEOUT_MS;
    let address: Address;
    // A `+switch-master` that arrives while a round runs may make its answer stale: go again.
    do address = await this.discovery.findMaster(deadline, () => this.takeHint());
    while (this.hint !== null && !this.closed);
    if (this.closed) throw clientClosedError();
    if (formatAddress(address) === this.master.key) return this.master;
    const old = this.master;
    const master = (this.master = this.nodes.open(address, this.masterPrepare));
    // Replies in flight still arrive; queued calls come back here (never written, so resent).
    // Exclusive and push connections on the old master end with an error that says why, so
    // their users can tell a failover (subscribe again) from close() (stop).
    this.nodes.retire(old, 0, () => new MasterChangedError(this.discovery.masterName, old.key, master.key));
    this.replicas.schedule();
    return this.master;
  }

  private takeHint(): Address | null {
    const hint = this.hint;
    this.hint = null;
    return hint;
  }

  /** The master to use now, or once the switch under way ends. */
  private masterReady(): Promise<ServerPool> {
    if (this.closed) return Promise.reject(clientClosedError());
    return this.switching ?? Promise.resolve(this.master);
  }

  // --- ResendHandler ---

  onReadOnly(command: SentinelCommand, _error: ReplyError): void {
    if (this.closed) return command.giveUp(clientClosedError());
    // From the current master: it was demoted, find the new one. From a retired one: we already did.
    if (command.node === this.master) void this.rediscover();
    this.dispatch(command);
  }

  onUnsent(command: SentinelCommand, error: Error): void {
    if (this.closed) return command.giveUp(error);
    if (command.onReplica) this.replicas.schedule();
    else if (command.node === this.master) void this.rediscover();
    this.dispatch(command);
  }

  private dispatch(command: SentinelCommand): void {
    if (this.closed) return command.giveUp(clientClosedError());
    if (command.readOnly && !command.masterOnly) {
      // Replicas keep serving reads while the master is being replaced.
      const replica = this.replicas.next();
      if (replica !== undefined) {
        command.onReplica = true;
        command.node = replica;
        replica.send(command, command.database);
        return;
      }
    }
    command.onReplica = false;
    if (this.switching !== null) {
      this.switching.then(
        () => this.dispatch(command),
        (err: Error) => command.giveUp(err),
      );
      return;
    }
    command.node = this.master;
    this.master.send(command, command.database);
  }

  /**
   * Runs `fn` on the master; when it never reached the master (no connection, not a master)
   * or was refused with READONLY, rediscovers and runs it again (READONLY once).
   */
  private async onMaster<T>(fn: (pool: ServerPool) => Promise<T>): Promise<T> {
    let readOnlyRetried = false;
    for (let resends = 0; ; ) {
      const pool = await this.masterReady();
      try {
        return await fn(pool);
      } catch (err) {
        if (this.closed) throw err;
        if (isReadOnlyReply(err) && !readOnlyRetried) readOnlyRetried = true;
        else if (!(wasNeverSent(err) && resends++ < MAX_RESENDS)) throw err;
        if (pool === this.master) void this.rediscover();
      }
    }
  }

  // --- Router ---

  send(args: readonly CommandArg[], settings: DecodeSettings, database: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const readOnly = this.readFromReplica && isReadOnlyCommand(args);
      this.dispatch(new SentinelCommand(args, settings, resolve, reject, null, 0, this, database, readOnly));
    });
  }

  pipeline(commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[], database: number): Promise<unknown[]> {
    const n = commands.length;
    if (n === 0) return Promise.resolve([]);
    // All on one server, in order: a pipeline that writes must read its own writes.
    const readOnly = this.readFromReplica && commands.every(isReadOnlyCommand);
    return new Promise((resolve) => {
      const batch = new Batch(n, resolve);
      for (let i = 0; i < n; i++) this.dispatch(new SentinelCommand(commands[i], settings[i], null, null, batch, i, this, database, readOnly));
    });
  }

  sendBlocking(args: readonly CommandArg[], settings: DecodeSettings, database: number, blockMs: number): Promise<unknown> {
    return this.onMaster((pool) => runExclusive(pool, args, settings, database, blockMs));
  }

  async take(options: { key?: CommandArg; endpoint?: Address }): Promise<TakenConnection> {
    if (options.endpoint !== undefined) {
      return { lease: await this.endpointPool(options.endpoint).lease() };
    }
    return this.onMaster(async (pool) => ({ lease: await pool.lease() }));
  }

  pools(): ServerPool[] {
    return [this.master, ...this.replicas.list, ...this.nodes.pools()];
  }

  async endpoints(): Promise<EndpointInfo[]> {
    const master = await this.masterReady();
    return [{ address: master.address, type: 'master' }, ...this.replicas.list.map((pool): EndpointInfo => ({ address: pool.address, type: 'replica' }))];
  }

  /** The master's or a replica's pool when the address is theirs; otherwise one of its own, kept until close. */
  protected endpointPool(endpoint: Address): ServerPool {
    const key = formatAddress(endpoint);
    if (key === this.master.key) return this.master;
    return this.replicas.find(key) ?? this.nodes.pool(endpoint);
  }

  protected masterKey(): string {
    return this.master.key;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.discovery.close();
    this.watcher.close();
    clearInterval(this.refreshTimer);
    this.events.off('disconnect', this.onDisconnect);
    this.replicas.close();
    await this.nodes.close();
  }
}
