import type { EventEmitter } from 'node:events';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { Pending } from '../transport/pending.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { Lease } from '../pool/lease.js';
import { LruCache } from './lru-cache.js';
import { backoffMs } from '../transport/connect.js';

/** Read-only commands whose reply depends on their one key (`args[1]`) and nothing else. */
const CACHEABLE = new Set([
  'get', 'getrange', 'strlen', 'getbit', 'bitcount', 'substr',
  'hget', 'hgetall', 'hmget', 'hkeys', 'hvals', 'hlen', 'hexists', 'hstrlen',
  'smembers', 'sismember', 'smismember', 'scard',
  'lrange', 'lindex', 'llen', 'lpos',
  'zrange', 'zrangebyscore', 'zrangebylex', 'zrevrange', 'zrevrangebyscore', 'zrevrangebylex', 'zscore', 'zmscore', 'zcard', 'zcount', 'zlexcount', 'zrank', 'zrevrank',
  'type', 'exists', 'json.get',
]);

const UTF8: DecodeSettings = { decoder: 'utf8', attributes: false };
const RAW: DecodeSettings = { decoder: null, attributes: false };
type Mark = { count: number; invalidated: boolean };
function noop(): void {}

/** Encoders that write an all-ASCII string as exactly its characters, one byte each. */
const ASCII_SAFE = new Set<string>(['utf8', 'utf-8', 'latin1', 'binary', 'ascii']);
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The cache's name for an argument: the exact bytes sent, as a latin1 string (one char per
 * byte). Strings go through the configured encoder as the wire does, so `'é'` (two UTF-8
 * bytes) and `Buffer.from([0xe9])` are different keys, and the invalidation of a non-ASCII
 * key (its bytes, read back as latin1) finds the entry. ASCII strings under an
 * ASCII-compatible encoder are their own bytes: no Buffer is made for them.
 */
export function cacheKeyOf(arg: CommandArg, encoder: BufferEncoding): string {
  if (typeof arg === 'string') {
    if (ASCII_SAFE.has(encoder) && !NON_ASCII.test(arg)) return arg;
    return Buffer.from(arg, encoder).toString('latin1');
  }
  if (typeof arg === 'number' || typeof arg === 'bigint') return String(arg);
  return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');
}

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
   * key by key from cached GETs, and its reply fills them.
   */
  read(name: string, command: readonly CommandArg[], settings: DecodeSettings, database: number, send: () => Promise<unknown>): Promise<unknown> {
    const prefix = `${database}\u0000${settings.decoder}\u0000${settings.attributes ? 1 : 0}\u0000`;
    if (name === 'mget') return this.readMany(command, prefix, send);
    let signature = prefix + name;
    for (let i = 1; i < command.length; i++) signature += '\u0000' + cacheKeyOf(command[i], this.encoder);
    const cached = this.lru.get(signature);
    if (cached !== undefined) return Promise.resolve(cached);
    const redisKey = cacheKeyOf(command[1], this.encoder);
    const mark = this.lru.begin(redisKey);
    return send().then(
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

  private readMany(command: readonly CommandArg[], prefix: string, send: () => Promise<unknown>): Promise<unknown> {
    const keys = command.slice(1).map((k) => cacheKeyOf(k, this.encoder));
    const signatures = keys.map((k) => `${prefix}get\u0000${k}`);
    const values = signatures.map((s) => this.lru.get(s));
    if (values.every((v) => v !== undefined)) return Promise.resolve(values);
    const marks: Mark[] = keys.map((k) => this.lru.begin(k));
    return send().then(
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
   * A command that may write: forget its key at once, so this client reads its own writes
   * even before the server's invalidation arrives (on RESP2 it comes on another socket).
   */
  written(name: string, command: readonly CommandArg[]): void {
    if (command.length >= 2 && !CACHEABLE.has(name) && name !== 'mget') this.lru.invalidate(cacheKeyOf(command[1], this.encoder));
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
    connection.send(new Pending(command, UTF8, noop, (error) => connection.destroy(error), null, 0, 0));
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
      const id = (await lease.send(['CLIENT', 'ID'], UTF8)) as number;
      const owned = lease;
      // Lost (killed, timed out) or closed with the pool: the lease frees the slot; a new
      // redirect connection replaces it and the shared connections are pointed at it.
      lease.enterPushMode(
        (frame) => {
          if (Array.isArray(frame) && frame.length === 3 && String(frame[0]) === 'message') this.onInvalidate(frame[2]);
        },
        RAW,
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
      lease.send(['SUBSCRIBE', '__redis__:invalidate'], RAW).catch(noop);
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
