import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { concatMap, merge, type Subscription } from 'rxjs';
import type { RedisMessage } from './justredis.interfaces.js';
import { JustRedisMetadataAccessor } from './justredis-metadata.accessor.js';
import { RedisPubSub } from './redis-pubsub.service.js';
import { JustRedisClients } from './justredis-clients.service.js';
import type { NormalizedSubscription } from './pubsub/subscription.js';
import { redact } from './utils/redact.util.js';

/**
 * Finds `@RedisSubscribe()` methods on providers and controllers at bootstrap and wires
 * each to a `RedisPubSub` stream: messages reach a handler one at a time (an async handler
 * is awaited before its next message, other handlers are not held up), and a throw is
 * logged without ending the subscription.
 */
@Injectable()
export class RedisSubscribeExplorer implements OnApplicationBootstrap {
  readonly #logger = new Logger('RedisSubscribe');
  readonly #subscriptions: Subscription[] = [];
  readonly #clientsUsed = new Set<string>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: JustRedisMetadataAccessor,
    private readonly pubsub: RedisPubSub,
    private readonly clients: JustRedisClients,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const seen = new Set<object>();
    for (const wrapper of wrappers) this.#explore(wrapper, seen);
    // Start-up completes once the server confirmed every subscription, so a message
    // published right after `app.init()` / `app.listen()` is not missed; clients with
    // `connectOnInit: false` are not waited for.
    await this.pubsub.settled([...this.#clientsUsed].filter((name) => this.clients.connectsOnInit(name)));
  }

  /** Stops every handler (their server subscriptions end when no one else listens). */
  stop(): void {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }

  #explore(wrapper: InstanceWrapper, seen: Set<object>): void {
    const { instance } = wrapper;
    if (instance === null || instance === undefined || typeof instance !== 'object' || seen.has(instance)) return;
    const prototype = Object.getPrototypeOf(instance) as object | null;
    if (prototype === null) return;
    const methods = this.scanner.getAllMethodNames(prototype);
    const handlers = methods
      .map((name) => ({ name, subscriptions: this.accessor.getSubscriptions((instance as Record<string, unknown>)[name]) }))
      .filter((h) => h.subscriptions.length > 0);
    if (handlers.length === 0) return;
    const className = (instance as object).constructor?.name ?? 'anonymous';
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      this.#logger.warn(`${className} is request-scoped or transient: its @RedisSubscribe() handlers are ignored (make it a singleton)`);
      return;
    }
    seen.add(instance);
    for (const { name, subscriptions } of handlers) this.#wire(instance as Record<string, unknown>, className, name, subscriptions);
  }

  /** One stream per method, even with several decorators, so the method never runs concurrently with itself. */
  #wire(instance: Record<string, unknown>, className: string, method: string, subscriptions: readonly NormalizedSubscription[]): void {
    const handler = instance[method] as (message: RedisMessage<any>) => unknown;
    const where = `${className}.${method}`;
    for (const { client } of subscriptions) {
      if (!this.clients.has(client)) {
        throw new Error(`@RedisSubscribe on ${where} names client "${client}", which no JustRedisModule.forRoot({ name: '${client}' }) registers`);
      }
    }
    const run = async (message: RedisMessage<any>): Promise<void> => {
      try {
        await handler.call(instance, message);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#logger.error(`@RedisSubscribe handler ${where} threw on channel "${message.channel}": ${redact(error.message)}`, error.stack);
      }
    };
    const sub = merge(...subscriptions.map((subscription) => this.pubsub.stream(subscription)))
      .pipe(concatMap(run))
      .subscribe({
        error: (err: unknown) => this.#logger.error(`@RedisSubscribe handler ${where} cannot subscribe: ${redact(String((err as Error)?.message ?? err))}`),
      });
    this.#subscriptions.push(sub);
    for (const subscription of subscriptions) {
      this.#clientsUsed.add(subscription.client);
      const topics = subscription.topics.map((t) => (t.kind === 'channel' ? t.name : `${t.kind} ${t.name}`)).join(', ');
      this.#logger.log(`${where} subscribed to ${topics} (client "${subscription.client}")`);
    }
  }
}
