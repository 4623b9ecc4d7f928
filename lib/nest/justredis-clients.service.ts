import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { parseRedisUrl, Redis, validateDuration } from '../core/index.js';
import { DEFAULT_REDIS_NAME, DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_SUBSCRIBE_TIMEOUT, MAX_DURATION } from './justredis.constants.js';
import type { JustRedisClientOptions, JustRedisModuleOptions } from './justredis.interfaces.js';
import { redact } from './utils/redact.util.js';
import { getRedisToken } from './utils/get-redis-token.util.js';

/** Raised at start-up when a client with `connectOnInit: true` cannot reach its server. */
export class JustRedisConnectError extends Error {
  readonly code = 'ERR_JUSTREDIS_CONNECT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JustRedisConnectError';
  }
}

/**
 * Every client of the application, by name. Made once per application (the module is
 * global); closes them all at shutdown. Inject it to reach a client by a name known only
 * at run time: `clients.get('cache')`.
 */
@Injectable()
export class JustRedisClients {
  readonly #clients = new Map<string, Redis>();
  readonly #logger = new Logger('JustRedisModule');
  readonly #eager = new Set<string>();
  readonly #shutdownTimeouts = new Map<string, number>();
  readonly #subscribeTimeouts = new Map<string, number>();
  #failed = false;

  constructor(private readonly moduleRef: ModuleRef) {}

  /** @internal Builds, registers and (with `connectOnInit`) checks one client. */
  async create(name: string, options: JustRedisClientOptions): Promise<Redis> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`JustRedisModule client "${name}": options must be an object, got ${options === null ? 'null' : typeof options}`);
    }
    const { url, connectOnInit = true, shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT, name: _name, isGlobal: _global, ...rest } = options as JustRedisModuleOptions;
    if (typeof connectOnInit !== 'boolean') throw new TypeError(`JustRedisModule client "${name}": "connectOnInit" must be a boolean`);
    validateDuration(shutdownTimeout, `JustRedisModule client "${name}": "shutdownTimeout"`);
    if (this.#clients.has(name)) {
      throw new Error(`JustRedisModule: a client named "${name}" is already registered; give each forRoot() its own name`);
    }
    let client: Redis;
    try {
      client = url === undefined ? new Redis(rest) : Redis.fromUrl(url, rest);
    } catch (err) {
      const message = `JustRedisModule client "${name}": ${redact((err as Error).message)}`;
      throw err instanceof RangeError ? new RangeError(message) : new TypeError(message);
    }
    this.#clients.set(name, client);
    this.#shutdownTimeouts.set(name, shutdownTimeout);
    // The client's connectTimeout, read from the options it was made from (as fromUrl merges
    // them, already validated by its constructor): the client itself keeps its options private.
    const { connectTimeout } = url === undefined ? rest : { ...parseRedisUrl(url), ...rest };
    this.#subscribeTimeouts.set(name, connectTimeout === undefined ? DEFAULT_SUBSCRIBE_TIMEOUT : Math.min(connectTimeout, MAX_DURATION));
    this.#watch(name, client);
    if (this.#failed) {
      await this.closeAll();
      throw new JustRedisConnectError(`JustRedisModule: start-up was aborted, so client "${name}" was closed`);
    }
    if (connectOnInit) {
      this.#eager.add(name);
      try {
        await client.call('ping');
      } catch (err) {
        this.#failed = true;
        await this.closeAll();
        const where = client.seeds.join(', ');
        throw new JustRedisConnectError(
          `JustRedisModule could not connect client "${name}" to Redis at ${where}: ${redact((err as Error).message)}. ` +
            'Start the server or fix the address, or set connectOnInit: false to start without it.',
          { cause: err },
        );
      }
      this.#logger.log(`Redis client "${name}" connected to ${client.seeds.join(', ')}`);
    }
    return client;
  }

  /**
   * The root client of that name (views come from `@InjectRedis(name, settings)`). A client
   * replaced with `overrideProvider(getRedisToken(name))` is found too.
   */
  get(name: string = DEFAULT_REDIS_NAME): Redis {
    const client = this.#clients.get(name) ?? this.#fromContainer(name);
    if (client === undefined) {
      throw new Error(`No Redis client named "${name}": register it with JustRedisModule.forRoot({ name: '${name}' })`);
    }
    return client;
  }

  has(name: string = DEFAULT_REDIS_NAME): boolean {
    return this.#clients.has(name) || this.#fromContainer(name) !== undefined;
  }

  #fromContainer(name: string): Redis | undefined {
    try {
      return this.moduleRef.get<Redis>(getRedisToken(name), { strict: false }) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** @internal Whether start-up waits for this client (`connectOnInit`), its subscriptions included. */
  connectsOnInit(name: string): boolean {
    return this.#eager.has(name);
  }

  /** @internal How long shutdown lets this client's handlers finish (`shutdownTimeout`). */
  shutdownTimeout(name: string): number {
    return this.#shutdownTimeouts.get(name) ?? DEFAULT_SHUTDOWN_TIMEOUT;
  }

  /** @internal How long start-up waits for the server to confirm this client's subscriptions: its `connectTimeout`. */
  subscribeTimeout(name: string): number {
    return (this.#clients.has(name) ? this.#subscribeTimeouts.get(name) : undefined) ?? DEFAULT_SUBSCRIBE_TIMEOUT;
  }

  names(): string[] {
    return [...this.#clients.keys()];
  }

  /** Closes every client of every name. */
  async closeAll(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    const results = await Promise.allSettled(clients.map((client) => client.close()));
    for (const result of results) {
      if (result.status === 'rejected') this.#logger.error(`Closing a Redis client failed: ${redact(String(result.reason))}`);
    }
  }

  /** Logs each loss of a shared connection and its recovery, once per episode and address. */
  #watch(name: string, client: Redis): void {
    const down = new Set<string>();
    client.on('disconnect', ({ address, error }) => {
      if (down.has(address)) return;
      down.add(address);
      this.#logger.warn(`Redis client "${name}" lost its connection to ${address}${error ? ` (${redact(error.message)})` : ''}; it reconnects on the next command`);
    });
    client.on('reconnect', ({ address }) => {
      if (!down.delete(address)) return;
      this.#logger.log(`Redis client "${name}" reconnected to ${address}`);
    });
  }
}
