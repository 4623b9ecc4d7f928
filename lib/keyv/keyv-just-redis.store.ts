import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from '../core/index.js';

export interface KeyvJustRedisOptions {
  /**
   * Keys are stored as `namespace + keyPrefixSeparator + key`, the layout `@keyv/redis` uses,
   * so switching store keeps the cached entries. Keyv sets this itself from its own
   * `namespace` option.
   */
  namespace?: string;
  /** Between namespace and key (`'::'`, as `@keyv/redis`). */
  keyPrefixSeparator?: string;
  /** Keys per SCAN round and per UNLINK in `clear()` (1000). */
  clearBatchSize?: number;
}

/** One entry of `setMany`, as Keyv passes it (ttl in ms). */
export interface KeyvJustRedisEntry {
  key: string;
  value: unknown;
  ttl?: number;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['namespace', 'keyPrefixSeparator', 'clearBatchSize']);
const GLOB_SPECIAL = /[*?[\]\\]/g;

function isClient(value: unknown): value is Redis {
  return typeof value === 'object' && value !== null && typeof (value as Redis).call === 'function' && typeof (value as Redis).modify === 'function';
}

/**
 * A Keyv (>= 5) store on this package's client, for `@nestjs/cache-manager` / cache-manager
 * (>= 6). Values are stored as Keyv serialized them (strings; Keyv's serializer turns Buffers
 * into text, so they round-trip) and read back as UTF-8 strings. Works on a cluster: MGET,
 * UNLINK and pipelines are split per slot by the client, and `clear()` walks every master.
 *
 * Errors reject the call; Keyv catches them and emits them on itself (it listens to this
 * store's `'error'` too, which is why the store is an EventEmitter).
 */
export class KeyvJustRedis extends EventEmitter {
  /** The client's view this store sends through (UTF-8 replies). */
  readonly #redis: Redis;
  /** Only a client created here from a URL or options is closed by `disconnect()`. */
  readonly #owned: Redis | null;
  #namespace: string | undefined;
  readonly #separator: string;
  readonly #clearBatchSize: number;

  constructor(redis: Redis | string | RedisOptions<any>, options: KeyvJustRedisOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError('KeyvJustRedis options must be an object like { namespace }');
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw new TypeError(`Unknown KeyvJustRedis option "${key}"`);
    }
    const { namespace, keyPrefixSeparator = '::', clearBatchSize = 1000 } = options;
    if (namespace !== undefined && typeof namespace !== 'string') throw new TypeError('KeyvJustRedis option "namespace" must be a string');
    if (typeof keyPrefixSeparator !== 'string' || keyPrefixSeparator === '') throw new TypeError('KeyvJustRedis option "keyPrefixSeparator" must be a non-empty string');
    if (!Number.isInteger(clearBatchSize) || clearBatchSize < 1) throw new RangeError('KeyvJustRedis option "clearBatchSize" must be a positive integer');

    let client: Redis;
    if (isClient(redis)) {
      client = redis;
      this.#owned = null;
    } else if (typeof redis === 'string') {
      client = Redis.fromUrl(redis);
      this.#owned = client;
    } else if (typeof redis === 'object' && redis !== null) {
      client = new Redis(redis);
      this.#owned = client;
    } else {
      throw new TypeError('KeyvJustRedis needs a Redis client, a URL or client options');
    }
    this.#redis = client.modify({ decoder: 'utf8', attributes: false });
    this.#namespace = namespace === '' ? undefined : namespace;
    this.#separator = keyPrefixSeparator;
    this.#clearBatchSize = clearBatchSize;
  }

  /** The client this store sends through (a UTF-8 view of the one it was given). */
  get client(): Redis {
    return this.#redis;
  }

  get namespace(): string | undefined {
    return this.#namespace;
  }

  /** Keyv assigns its own namespace here. */
  set namespace(value: string | undefined) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError('namespace must be a string');
    this.#namespace = value === '' ? undefined : value;
  }

  get keyPrefixSeparator(): string {
    return this.#separator;
  }

  /**
   * What Keyv reads to decide whether the store can iterate (`dialect` 'redis'), in the
   * shape `@keyv/redis` reports.
   */
  get opts(): Record<string, unknown> {
    return { dialect: 'redis', url: 'redis://', namespace: this.#namespace, keyPrefixSeparator: this.#separator, clearBatchSize: this.#clearBatchSize };
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#redis.call('GET', this.#key(key));
    return value === null ? undefined : value;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    if (!Array.isArray(keys)) throw new TypeError('getMany needs an array of keys');
    if (keys.length === 0) return [];
    const values: (string | null)[] = await this.#redis.call('MGET', ...keys.map((k) => this.#key(k)));
    return values.map((v) => (v === null ? undefined : v));
  }

  /** `ttl` in milliseconds (PX); `undefined` or 0: no expiry. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const command = setCommand(this.#key(key), value, ttl);
    return (await this.#redis.call(...command)) === 'OK';
  }

  /** One pipeline (split per node on a cluster); one boolean per entry. */
  async setMany(entries: KeyvJustRedisEntry[]): Promise<boolean[]> {
    if (!Array.isArray(entries)) throw new TypeError('setMany needs an array of { key, value, ttl? }');
    if (entries.length === 0) return [];
    const commands = entries.map((e) => setCommand(this.#key(e.key), e.value, e.ttl));
    const replies = await this.#redis.pipeline(commands);
    return replies.map((r) => r === 'OK');
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#redis.call('UNLINK', this.#key(key))) > 0;
  }

  /** True when at least one key was deleted. */
  async deleteMany(keys: string[]): Promise<boolean> {
    if (!Array.isArray(keys)) throw new TypeError('deleteMany needs an array of keys');
    if (keys.length === 0) return false;
    return (await this.#redis.call('UNLINK', ...keys.map((k) => this.#key(k)))) > 0;
  }

  async has(key: string): Promise<boolean> {
    return (await this.#redis.call('EXISTS', this.#key(key))) === 1;
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    if (!Array.isArray(keys)) throw new TypeError('hasMany needs an array of keys');
    if (keys.length === 0) return [];
    const replies = await this.#redis.pipeline(keys.map((k) => ['EXISTS', this.#key(k)]));
    return replies.map((r) => r === 1);
  }

  /**
   * Deletes this namespace's string keys (SCAN MATCH + UNLINK in batches, every master on a
   * cluster), nothing else: keys of other namespaces, keys with no namespace and keys of
   * other types stay. Without a namespace, as `@keyv/redis`: every string key whose name
   * does not contain the separator. Never FLUSHDB.
   */
  async clear(): Promise<void> {
    const batch: string[] = [];
    for await (const key of this.#scan(this.#namespace)) {
      batch.push(key);
      if (batch.length >= this.#clearBatchSize) await this.#redis.call('UNLINK', ...batch.splice(0));
    }
    if (batch.length > 0) await this.#redis.call('UNLINK', ...batch);
  }

  /**
   * `[key, value]` of every string key of `namespace` (the key without the store's prefix),
   * values read with MGET per SCAN batch. Keyv wraps this into its own `iterator()`.
   */
  async *iterator(namespace?: string): AsyncGenerator<[string, string | undefined], void> {
    const prefix = namespace ? namespace + this.#separator : '';
    const batch: string[] = [];
    const flush = async function* (this: KeyvJustRedis): AsyncGenerator<[string, string | undefined], void> {
      const values: (string | null)[] = await this.#redis.call('MGET', ...batch);
      for (let i = 0; i < batch.length; i++) {
        if (values[i] !== null) yield [batch[i]!.slice(prefix.length), values[i]!];
      }
      batch.length = 0;
    };
    for await (const key of this.#scan(namespace)) {
      batch.push(key);
      if (batch.length >= this.#clearBatchSize) yield* flush.call(this);
    }
    if (batch.length > 0) yield* flush.call(this);
  }

  /** Closes the client only if this store created it (from a URL or options). */
  async disconnect(): Promise<void> {
    if (this.#owned !== null) await this.#owned.close();
  }

  #key(key: string): string {
    if (typeof key !== 'string') throw new TypeError('Keyv keys must be strings');
    return this.#namespace === undefined ? key : this.#namespace + this.#separator + key;
  }

  /** String keys of a namespace (or, without one, keys without the separator). */
  async *#scan(namespace: string | undefined): AsyncGenerator<string> {
    const match = namespace ? namespace.replace(GLOB_SPECIAL, '\\$&') + this.#separator.replace(GLOB_SPECIAL, '\\$&') + '*' : '*';
    const keys = this.#redis.scanIterator({ match, count: this.#clearBatchSize, type: 'string' });
    for await (const key of keys as AsyncGenerator<string>) {
      if (!namespace && key.includes(this.#separator)) continue;
      yield key;
    }
  }
}

function setCommand(key: string, value: unknown, ttl: number | undefined): (string | Buffer | number)[] {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw new TypeError('KeyvJustRedis stores strings or Buffers (leave Keyv its serializer)');
  }
  if (ttl === undefined || ttl === 0) return ['SET', key, value];
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0 || ttl > 2 ** 53) throw new RangeError('ttl must be a non-negative number of milliseconds');
  // PX takes whole milliseconds; rounding up never expires an entry early.
  return ['SET', key, value, 'PX', Math.ceil(ttl)];
}
