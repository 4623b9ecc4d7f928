import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, LazyModuleLoader, MetadataScanner } from '@nestjs/core';
import { merge, type Subscription } from 'rxjs';
import type { RedisMessage } from './justredis.interfaces.js';
import { JustRedisMetadataAccessor } from './justredis-metadata.accessor.js';
import { RedisPubSub } from './redis-pubsub.service.js';
import { JustRedisClients } from './justredis-clients.service.js';
import { HandlerQueue } from './pubsub/handler-queue.js';
import type { NormalizedSubscription } from './pubsub/subscription.js';
import { redact } from './utils/redact.util.js';

/** A provider or controller as discovery lists it (named from the public API, not Nest's internal path). */
type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** One wired `@RedisSubscribe` method. */
interface WiredHandler {
  readonly where: string;
  readonly clients: readonly string[];
  readonly queue: HandlerQueue<RedisMessage<any>>;
  readonly intake: Subscription;
}

/**
 * Finds `@RedisSubscribe()` methods on providers and controllers at bootstrap, and on
 * those of modules loaded later with `LazyModuleLoader` when they load, and wires each to
 * a `RedisPubSub` stream through a `HandlerQueue` (one call at a time per method, other
 * handlers not held up; a throw is logged without ending the subscription).
 *
 * Start-up (or the lazy `load()`) completes once the server confirmed every subscription,
 * and fails with the server's reason when it refused one, or when no answer came within
 * the client's `connectTimeout` (or `DEFAULT_SUBSCRIBE_TIMEOUT`).
 */
@Injectable()
export class RedisSubscribeExplorer implements OnModuleInit, OnApplicationBootstrap {
  readonly #logger = new Logger('RedisSubscribe');
  readonly #handlers: WiredHandler[] = [];
  readonly #seen = new WeakSet<object>();
  #stopped = false;
  #unhookLazyLoader: (() => void) | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: JustRedisMetadataAccessor,
    private readonly pubsub: RedisPubSub,
    private readonly clients: JustRedisClients,
    private readonly lazyModuleLoader: LazyModuleLoader,
  ) {}

  /**
   * Nest runs no lifecycle hook for a lazily loaded module, so the one `LazyModuleLoader`
   * of the application is wrapped: once a `load()` built its modules, their handlers are
   * found and subscribed before `load()` resolves.
   */
  onModuleInit(): void {
    const loader = this.lazyModuleLoader;
    const load = loader.load;
    const wrapped: typeof load = async (...args) => {
      const moduleRef = await load.apply(loader, args);
      if (!this.#stopped) await this.#discover();
      return moduleRef;
    };
    loader.load = wrapped;
    this.#unhookLazyLoader = () => {
      if (loader.load === wrapped) loader.load = load;
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.#discover();
  }

  /**
   * Stops taking messages at once, then waits for the handlers to finish what they already
   * have (the running call and the messages queued behind it), each bounded by its
   * clients' `shutdownTimeout`; what is left then is logged and abandoned.
   */
  async drain(): Promise<void> {
    const handlers = this.#stop();
    const busy = handlers.filter((h) => h.queue.busy);
    if (busy.length > 0) this.#logger.log(`Waiting for ${busy.length} running @RedisSubscribe handler(s) to finish`);
    await Promise.all(
      handlers.map(async (handler) => {
        const timeout = Math.max(...handler.clients.map((name) => this.clients.shutdownTimeout(name)));
        const abandoned = await handler.queue.drain(timeout);
        if (abandoned === null) return;
        this.#logger.warn(
          `@RedisSubscribe handler ${handler.where} did not finish within shutdownTimeout (${timeout} ms): ` +
            `abandoned ${abandoned.running ? 'its running call and ' : ''}${abandoned.queued} queued message(s)`,
        );
      }),
    );
  }

  /** Stops every handler without waiting (their server subscriptions end when no one else listens). */
  stop(): void {
    for (const handler of this.#stop()) void handler.queue.drain(0);
  }

  #stop(): WiredHandler[] {
    this.#stopped = true;
    this.#unhookLazyLoader?.();
    this.#unhookLazyLoader = null;
    const handlers = this.#handlers.splice(0);
    for (const handler of handlers) handler.intake.unsubscribe();
    return handlers;
  }

  /** Wires the handlers not wired yet, then waits (bounded) until the server confirmed them. */
  async #discover(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    // Refusals of the handlers wired by this call (a concurrent lazy load has its own).
    const failures: Error[] = [];
    const clientsUsed = new Set<string>();
    for (const wrapper of wrappers) this.#explore(wrapper, clientsUsed, failures);
    // A message published right after `app.init()` / `load()` is not missed; clients with
    // `connectOnInit: false` are not waited for.
    const waitFor = [...clientsUsed].filter((name) => this.clients.connectsOnInit(name));
    if (waitFor.length > 0) await this.#confirmed(waitFor, failures);
  }

  async #confirmed(clients: readonly string[], failures: readonly Error[]): Promise<void> {
    const bound = Math.max(...clients.map((name) => this.clients.subscribeTimeout(name)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), bound)));
    let late: boolean;
    try {
      late = await Promise.race([this.pubsub.settled(clients).then(() => false), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (failures.length > 0) throw failures[0];
    if (late) {
      const names = clients.map((name) => `"${name}"`).join(', ');
      throw new Error(`@RedisSubscribe: the server did not confirm the subscriptions of Redis client ${names} within ${bound} ms`);
    }
  }

  #explore(wrapper: InstanceWrapper, clientsUsed: Set<string>, failures: Error[]): void {
    const { instance } = wrapper;
    if (instance === null || instance === undefined || typeof instance !== 'object' || this.#seen.has(instance)) return;
    const prototype = Object.getPrototypeOf(instance) as object | null;
    if (prototype === null) return;
    const methods = this.scanner.getAllMethodNames(prototype);
    const handlers = methods
      .map((name) => ({ name, subscriptions: this.accessor.getSubscriptions((instance as Record<string, unknown>)[name]) }))
      .filter((h) => h.subscriptions.length > 0);
    if (handlers.length === 0) return;
    this.#seen.add(instance);
    const className = (instance as object).constructor?.name ?? 'anonymous';
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      this.#logger.warn(`${className} is request-scoped or transient: its @RedisSubscribe() handlers are ignored (make it a singleton)`);
      return;
    }
    for (const { name, subscriptions } of handlers) this.#wire(instance as Record<string, unknown>, className, name, subscriptions, clientsUsed, failures);
  }

  /** One queue per method, even with several decorators, so the method never runs concurrently with itself. */
  #wire(
    instance: Record<string, unknown>,
    className: string,
    method: string,
    subscriptions: readonly NormalizedSubscription[],
    clientsUsed: Set<string>,
    failures: Error[],
  ): void {
    const handler = instance[method] as (message: RedisMessage<any>) => unknown;
    const where = `${className}.${method}`;
    for (const { client } of subscriptions) {
      if (!this.clients.has(client)) {
        throw new Error(`@RedisSubscribe on ${where} names client "${client}", which no JustRedisModule.forRoot({ name: '${client}' }) registers`);
      }
    }
    const queue = new HandlerQueue<RedisMessage<any>>(
      (message) => handler.call(instance, message),
      (err, message) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#logger.error(`@RedisSubscribe handler ${where} threw on channel "${message.channel}": ${redact(error.message)}`, error.stack);
      },
    );
    const intake = merge(...subscriptions.map((subscription) => this.pubsub.stream(subscription))).subscribe({
      next: (message) => queue.push(message),
      error: (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#logger.error(`@RedisSubscribe handler ${where} cannot subscribe: ${redact(error.message)}`);
        failures.push(error);
      },
    });
    this.#handlers.push({ where, clients: [...new Set(subscriptions.map((s) => s.client))], queue, intake });
    for (const subscription of subscriptions) {
      clientsUsed.add(subscription.client);
      const topics = subscription.topics.map((t) => (t.kind === 'channel' ? t.name : `${t.kind} ${t.name}`)).join(', ');
      this.#logger.log(`${where} subscribed to ${topics} (client "${subscription.client}")`);
    }
  }
}
