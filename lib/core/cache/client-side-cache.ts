import type { EventEmitter } from 'node:events';
import { RAW_REPLIES, UTF8_REPLIES, type CommandArg, type DecodeSettings } from '../resp/types.js';
import { Pending } from '../transport/pending.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { Lease } from '../pool/lease.js';
import { LruCache } from './lru-cache.js';
import { backoffMs } from '../transport/connect.js';
import { cacheKeyOf } from './cache-key.js';
import { EVERYTHING, keysWritten, type Written } from './written-keys.js';
import type { CommandSpecs } from '../commands/command-specs.js';

export { cacheKeyOf };

/** Read-only commands whose reply depends on their one key (`args[1]`) and nothing else. */
const CACHEABLE = new Set([
  'get', 'getrange', 'strlen', 'getbit', 'bitcount', 'substr',
  'hget', 'hgetall', 'hmget', 'hkeys', 'hvals', 'hlen', 'hexists', 'hstrlen',
  'smembers', 'sismember', 'smismember', 'scard',
  'lrange', 'lindex', 'llen', 'lpos',
  'zrange', 'zrangebyscore', 'zrangebylex', 'zrevrange', 'zrevrangebyscore', 'zrevrangebylex', 'zscore', 'zmscore', 'zcard', 'zcount', 'zlexcount', 'zrank', 'zrevrank',
  'type', 'exists', 'json.get',
]);

type Mark = { count: number; invalidated: boolean };
const NO_KEYS: Written = Object.freeze([]);
function noop(): void {}

/** Per server (RESP2 only): the push connection that receives invalidations for the others. */
interface Redirect {
  lease: Lease | null;
  id: number | null;
  opening: boolean;
  /** Consecutive failed attempts to open it; the next one waits a growing backoff. */
  failures: number;
  retry: NodeJS.Timeout | null;
}

/**
 * Client-side caching over CLIENT TRACKING (default mode). Every shared connection is put in
 * tracking mode as it opens, before any call on it: on RESP3 the invalidations come as push
 * frames on that same connection; on RESP2 they are redirected to one subscribed connection
 * per server. Until a connection is tracked the cache is bypassed.
 *
 * The cache keeps only what it can vouch for. When a tracked or redirect connection ends,
 * for any reason (lost, closed with a pool the client retired after a failover or a
 * topology change, closed by `close()`), no invalidation can come through it any more: the
 * cache is emptied. When a cluster slot changes master (MOVED, a promotion, a refresh) or
 * starts to (the first ASK of a migration), the new master never saw this client's reads of
 * that slot and will send no invalidation for them: that slot's entries are dropped.
 */
export class ClientSideCache {
  readonly lru: LruCache;
  /** Servers (RESP2) whose invalidation connection is not up; while any exists, the cache is bypassed. */
  private readonly awaitingRedirect = new Set<string>();
  private readonly redirects = new Map<string, Redirect>();
  /** Shared RESP2 connections per server, re-pointed when their redirect connection is replaced. */
  private readonly trackedResp2 = new Map<string, Set<RedisConnection>>();
  private closed = false;
  /** The last signature prefix built, and what it was built from (see `prefixOf`). */
  private lastSettings: DecodeSettings | null = null;
  private lastDatabase = -1;
  private lastPrefix = '';

  constructor(
    options: { maxEntries: number; ttl: number | undefined },
    events: EventEmitter,
    /** The client's string encoder: keys are the bytes it produces. */
    private readonly encoder: BufferEncoding = 'utf8',
  ) {
    this.lru = new LruCache(options.maxEntries, options.ttl);
    events.on('shared-connection', ({ connection, pool }: { connection: RedisConnection; pool: ServerPool }) => this.track(connection, pool));
    events.on('shared-connection-end', ({ connection, pool }: { connection: RedisConnection; pool: ServerPool }) => this.untrack(connection, pool));
    events.on('slot-owners-changed', ({ slots }: { slots: readonly number[] }) => this.lru.dropSlots(slots));
  }

  /** Whether `name` may be answered from the cache. */
  cacheable(name: string, command: readonly CommandArg[]): boolean {
    return this.awaitingRedirect.size === 0 && command.length >= 2 && (CACHEABLE.has(name) ? name !== 'exists' || command.length === 2 : name === 'mget');
  }

  /**
   * Answers from memory or sends through `send` and remembers the reply. MGET is answered
   * key by key from cached GETs, and its reply fills them. `send(name, command, view)` is the
   * caller's one function for every read (no closure per call: a hit allocates nothing but
   * its signature and the resolved promise).
   */
  read<V>(
    name: string,
    command: readonly CommandArg[],
    settings: DecodeSettings,
    database: number,
    send: (name: string, command: readonly CommandArg[], view: V) => Promise<unknown>,
    view: V,
  ): Promise<unknown> {
    const prefix = this.prefixOf(settings, database);
    if (name === 'mget') return this.readMany(command, prefix, send, view);
    let signature = prefix + name;
    for (let i = 1; i < command.length; i++) signature += '\u0000' + cacheKeyOf(command[i], this.encoder);
    const cached = this.lru.get(signature);
    if (cached !== undefined) return Promise.resolve(cached);
    const redisKey = cacheKeyOf(command[1], this.encoder);
    const mark = this.lru.begin(redisKey);
    return this.stored(redisKey, signature, mark, send(name, command, view));
  }

  /** The signature's start for replies read in `database` and decoded by `settings` (views reuse theirs). */
  private prefixOf(settings: DecodeSettings, database: number): string {
    if (settings === this.lastSettings && database === this.lastDatabase) return this.lastPrefix;
    this.lastSettings = settings;
    this.lastDatabase = database;
    return (this.lastPrefix = `${database}\u0000${settings.decoder}\u0000${settings.attributes ? 1 : 0}\u0000`);
  }

  /**
   * A miss on its way: its reply is stored unless `redisKey` was invalidated meanwhile. Its
   * own function: closures in `read` would cost every hit a context.
   */
  private stored(redisKey: string, signature: string, mark: Mark, reply: Promise<unknown>): Promise<unknown> {
    return reply.then(
      (value) => {
        this.lru.settle(redisKey, signature, mark, value, true);
        return value;
      },
      (err: unknown) => {
        this.lru.settle(redisKey, signature, mark, undefined, false);
        throw err;
      },
    );
  }

  private readMany<V>(command: readonly CommandArg[], prefix: string, send: (name: string, command: readonly CommandArg[], view: V) => Promise<unknown>, view: V): Promise<unknown> {
    const keys = command.slice(1).map((k) => cacheKeyOf(k, this.encoder));
    const signatures = keys.map((k) => `${prefix}get\u0000${k}`);
    const values = signatures.map((s) => this.lru.get(s));
    if (values.every((v) => v !== undefined)) return Promise.resolve(values);
    const marks: Mark[] = keys.map((k) => this.lru.begin(k));
    return send('mget', command, view).then(
      (reply) => {
        const ok = Array.isArray(reply) && reply.length === keys.length;
        keys.forEach((k, i) => this.lru.settle(k, signatures[i], marks[i], ok ? (reply as unknown[])[i] : undefined, ok));
        return reply;
      },
      (err: unknown) => {
        keys.forEach((k, i) => this.lru.settle(k, signatures[i], marks[i], undefined, false));
        throw err;
      },
    );
  }

  /**
   * What `command` may change, in cache keys (see `keysWritten`): nothing for the reads
   * this cache answers, the keys the server's command table names for the rest.
   */
  written(name: string, command: readonly CommandArg[], specs: CommandSpecs): Written | Promise<Written> {
    if (CACHEABLE.has(name) || name === 'mget') return NO_KEYS;
    return keysWritten(name, command, specs, this.encoder);
  }

  /**
   * A command that may write, sent by `send(name, command, view, endpoint)` (the caller's one
   * function for every write: no closure per call): see `around`. Read-your-writes: once its
   * reply resolves, no read of this client returns a value older than the write.
   */
  write<V, E>(
    name: string,
    command: readonly CommandArg[],
    specs: CommandSpecs,
    send: (name: string, command: readonly CommandArg[], view: V, endpoint: E) => Promise<unknown>,
    view: V,
    endpoint: E,
  ): Promise<unknown> {
    const written = this.written(name, command, specs);
    if (written instanceof Promise) return this.around([written], send(name, command, view, endpoint));
    // The common case (keys known at once): dropped now and again at the reply, one promise hop.
    if (written !== EVERYTHING && written.length === 0) return send(name, command, view, endpoint);
    this.drop(written);
    return this.dropAgain(written, send(name, command, view, endpoint));
  }

  /** Drops `written` when `reply` settles, before the caller sees it (its own function: see `stored`). */
  private dropAgain(written: Written, reply: Promise<unknown>): Promise<unknown> {
    return reply.then(
      (value) => {
        this.drop(written);
        return value;
      },
      (err: unknown) => {
        this.drop(written);
        throw err;
      },
    );
  }

  /**
   * Drops the keys `writes` name as far as they are known now (reads issued meanwhile skip
   * the old entries), and all of them again when `reply` settles, before the caller sees it:
   * a read that was on its way and settles later is not stored (the lru's marks), and one
   * that settled meanwhile is dropped. A failed write drops them too: a script may have
   * written before its error, and a lost connection leaves the outcome unknown.
   */
  around<T>(writes: readonly (Written | Promise<Written>)[], reply: Promise<T>): Promise<T> {
    let loading: Promise<Written>[] | null = null;
    for (const w of writes) {
      if (w instanceof Promise) (loading ??= []).push(w);
      else this.drop(w);
    }
    const after = (): Promise<void> | undefined => {
      for (const w of writes) if (!(w instanceof Promise)) this.drop(w);
      if (loading === null) return undefined;
      return Promise.all(loading).then((known) => {
        for (const w of known) this.drop(w);
      });
    };
    return reply.then(
      (value) => {
        const wait = after();
        return wait === undefined ? value : wait.then(() => value);
      },
      (err: unknown) => {
        const wait = after();
        if (wait === undefined) throw err;
        return wait.then(() => Promise.reject(err));
      },
    );
  }

  private drop(written: Written): void {
    if (written === EVERYTHING) this.lru.clear();
    else for (const key of written) this.lru.invalidate(key);
  }

  stats(): { hits: number; misses: number; entries: number } {
    return { hits: this.lru.hits, misses: this.lru.misses, entries: this.lru.size };
  }

  private onInvalidate(keys: unknown): void {
    if (!Array.isArray(keys)) {
      this.lru.clear(); // FLUSHALL/FLUSHDB: a null key list
      return;
    }
    // Keys arrive as Buffers (push frames are decoded raw): their latin1 text is their bytes.
    for (const key of keys) this.lru.invalidate(Buffer.isBuffer(key) ? key.toString('latin1') : String(key));
  }

  /** Puts a new shared connection in tracking mode; runs before any call is written on it. */
  private track(connection: RedisConnection, pool: ServerPool): void {
    if (this.closed) return;
    // Reads already queued were decided before this socket was tracked: on RESP2 they go out
    // before its redirect exists, so their replies must not be stored.
    this.lru.clear();
    if (connection.protocol === 3) {
      connection.listenPush((frame) => {
        if (Array.isArray(frame) && frame.length >= 2 && String(frame[0]) === 'invalidate') this.onInvalidate(frame[1]);
      });
      this.sendTracking(connection, ['CLIENT', 'TRACKING', 'ON']);
      return;
    }
    let set = this.trackedResp2.get(pool.key);
    if (set === undefined) {
      set = new Set();
      this.trackedResp2.set(pool.key, set);
    }
    set.add(connection);
    const redirect = this.redirects.get(pool.key);
    if (redirect?.id != null && redirect.lease !== null && !redirect.lease.ended) {
      this.sendTracking(connection, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', redirect.id]);
    } else {
      this.awaitingRedirect.add(pool.key);
      void this.openRedirect(pool);
    }
  }

  /** A shared connection ended (any cause): whatever was read through it is no longer watched. */
  private untrack(connection: RedisConnection, pool: ServerPool): void {
    this.trackedResp2.get(pool.key)?.delete(connection);
    this.lru.clear();
  }

  private sendTracking(connection: RedisConnection, command: CommandArg[]): void {
    // A refusal leaves an untracked connection serving reads: discard it rather than risk stale data.
    connection.send(new Pending(command, UTF8_REPLIES, noop, (error) => connection.destroy(error), null, 0, 0));
  }

  /** Opens the RESP2 invalidation connection of a server, then points its shared connections at it. */
  private async openRedirect(pool: ServerPool): Promise<void> {
    let redirect = this.redirects.get(pool.key);
    if (redirect === undefined) {
      redirect = { lease: null, id: null, opening: false, failures: 0, retry: null };
      this.redirects.set(pool.key, redirect);
    }
    if (redirect.opening) return;
    redirect.opening = true;
    let lease: Lease | undefined;
    try {
      lease = await pool.lease();
      const id = (await lease.send(['CLIENT', 'ID'], UTF8_REPLIES)) as number;
      const owned = lease;
      // Lost (killed, timed out) or closed with the pool: the lease frees the slot; a new
      // redirect connection replaces it and the shared connections are pointed at it.
      lease.enterPushMode(
        (frame) => {
          if (Array.isArray(frame) && frame.length === 3 && String(frame[0]) === 'message') this.onInvalidate(frame[2]);
        },
        RAW_REPLIES,
        () => {
          if (redirect!.lease === owned) {
            redirect!.lease = null;
            redirect!.id = null;
          }
          this.lru.clear();
          if (!this.closed && !pool.isClosed) {
            this.awaitingRedirect.add(pool.key);
            void this.openRedirect(pool);
          }
        },
      );
      lease.send(['SUBSCRIBE', '__redis__:invalidate'], RAW_REPLIES).catch(noop);
      redirect.lease = lease;
      redirect.id = id;
      for (const tracked of this.trackedResp2.get(pool.key) ?? []) {
        if (tracked.closed) this.trackedResp2.get(pool.key)!.delete(tracked);
        else this.sendTracking(tracked, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', id]);
      }
      this.lru.clear();
    } catch {
      lease?.discard();
      this.lru.clear();
      redirect.opening = false;
      // The cache stays bypassed for this server until a later attempt succeeds.
      if (!this.closed && !pool.isClosed && redirect.retry === null) {
        const owner = redirect;
        owner.retry = setTimeout(() => {
          owner.retry = null;
          if (!this.closed && !pool.isClosed) void this.openRedirect(pool);
        }, backoffMs(++owner.failures));
        owner.retry.unref();
      }
      return;
    }
    redirect.failures = 0;
    redirect.opening = false;
    this.awaitingRedirect.delete(pool.key);
  }

  close(): void {
    this.closed = true;
    this.lru.clear();
    for (const redirect of this.redirects.values()) {
      if (redirect.retry !== null) clearTimeout(redirect.retry);
      redirect.retry = null;
    }
  }
}
