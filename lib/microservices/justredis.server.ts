import { RedisContext, Server, type CustomTransportStrategy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { RedisMessage } from '../nest/justredis.interfaces.js';
import type { TopicListener } from '../nest/pubsub/pubsub-hub.js';
import {
  JUSTREDIS_TRANSPORT,
  NO_MESSAGE_HANDLER,
  assertEventListener,
  transportSettings,
  type JustRedisEvent,
  type JustRedisEvents,
  type JustRedisServerOptions,
  type JustRedisStatus,
  type TransportSettings,
} from './justredis-transport.options.js';
import { TransportLink } from './transport-link.js';
import { parseWire } from './wire-json.js';

/**
 * The server side of the transport, wire-compatible with `@nestjs/microservices`' built-in
 * `Transport.REDIS`: a handler's pattern is its channel (PSUBSCRIBE with `wildcards`), a
 * request `{ id, pattern, data }` is answered on `<channel>.reply` with
 * `{ id, response | err, isDisposed? }`, a packet without `id` is an event.
 *
 * `app.connectMicroservice({ strategy: new JustRedisServer({ url }) })`.
 */
export class JustRedisServer extends Server<JustRedisEvents, JustRedisStatus> implements CustomTransportStrategy {
  override transportId: symbol = JUSTREDIS_TRANSPORT;
  readonly #settings: TransportSettings;
  readonly #pendingListeners: [JustRedisEvent, JustRedisEvents[JustRedisEvent]][] = [];
  #link: TransportLink | null = null;

  constructor(options: JustRedisServerOptions = {}) {
    super();
    this.#settings = transportSettings(options, 'JustRedisServer', true);
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    if (this.#link !== null) return callback(new Error('JustRedisServer is already listening'));
    try {
      const link = new TransportLink(this.#settings, JustRedisServer.name, (status) => this._status$.next(status));
      this.#link = link;
      for (const [event, listener] of this.#pendingListeners) link.on(event, listener);
      await link.ping();
      if (this.#link !== link) return callback(new Error('JustRedisServer was closed while starting'));
      this._status$.next('connected');
      const kind = this.#settings.wildcards ? 'pattern' : 'channel';
      for (const [pattern, handler] of this.messageHandlers) {
        const channel = handler.isEventHandler ? pattern : this.getRequestPattern(pattern);
        void link.subscribe({ kind, name: channel }, this.#listenerFor(channel));
      }
      await link.settled();
      if (this.messageHandlers.size > 0 && !link.up) throw new Error('JustRedisServer could not open its pub/sub connection');
      callback();
    } catch (err) {
      await this.#closeLink();
      callback(err);
    }
  }

  /** Unsubscribes (by closing the push connection) and closes the client if this server created it. */
  async close(): Promise<void> {
    await this.#closeLink();
  }

  /** The `Redis` client in use (after `listen()`). */
  unwrap<T = import('../core/index.js').Redis>(): T {
    if (this.#link === null) {
      throw new Error('Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.');
    }
    return this.#link.redis as T;
  }

  /** The client's `disconnect` / `reconnect` events (kept for a server not yet listening). */
  on<EventKey extends keyof JustRedisEvents = keyof JustRedisEvents, EventCallback extends JustRedisEvents[EventKey] = JustRedisEvents[EventKey]>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    assertEventListener(event, callback);
    this.#pendingListeners.push([event, callback]);
    this.#link?.on(event, callback);
  }

  /** The channel a request pattern is subscribed on (the built-in transport's hook, same default). */
  getRequestPattern(pattern: string): string {
    return pattern;
  }

  /** The channel a reply goes to (the built-in transport's hook, same default). */
  getReplyPattern(pattern: string): string {
    return `${pattern}.reply`;
  }

  #listenerFor(subscribed: string): TopicListener {
    return {
      decoder: 'utf8',
      next: (message: RedisMessage<string | Buffer>) => {
        this.#handleMessage(subscribed, message.channel, message.data as string).catch((err) => this.handleError(err));
      },
      complete: () => {},
      // The server refused the channel (ACL): nothing will arrive on it; say so in the log.
      error: (error) => this.handleError(error.message),
    };
  }

  /**
   * `subscribed` is the handler's pattern (with wildcards, the PSUBSCRIBE pattern), `channel`
   * the concrete channel the packet came on: the reply goes to the concrete one, where the
   * client listens.
   */
  async #handleMessage(subscribed: string, channel: string, text: string): Promise<void> {
    const packet = (await this.deserializer.deserialize(parseWire(text), { channel })) as ReadPacket & { id?: string };
    const context = new RedisContext([channel, packet.metadata]);
    if (packet.id === undefined) return this.handleEvent(subscribed, packet, context);
    const respond = this.#replier(channel, packet.id);
    const handler = this.getHandlerByPattern(subscribed);
    if (handler === null) {
      await respond({ status: 'error', err: NO_MESSAGE_HANDLER } as WritePacket);
      return;
    }
    this.handleRequest(context, async () => this.transformToObservable(await handler(packet.data, context)), respond);
  }

  #replier(channel: string, id: string): (packet: WritePacket) => Promise<unknown> {
    const link = this.#link;
    const replyChannel = this.getReplyPattern(channel);
    return (packet) => {
      if (link === null || this.#link !== link) return Promise.reject(new Error('JustRedisServer is closed; reply dropped'));
      const response = Object.assign(packet, { id });
      return link.publish(replyChannel, JSON.stringify(this.serializer.serialize(response)));
    };
  }

  async #closeLink(): Promise<void> {
    const link = this.#link;
    if (link === null) return;
    this.#link = null;
    await link.close();
    this._status$.next('disconnected');
  }
}
