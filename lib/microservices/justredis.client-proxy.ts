import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Redis } from '../core/index.js';
import {
  assertEventListener,
  transportSettings,
  type JustRedisClientOptions,
  type JustRedisEvent,
  type JustRedisEvents,
  type JustRedisStatus,
  type TransportSettings,
} from './justredis-transport.options.js';
import { ReplyChannels } from './reply-channels.js';
import { TransportLink } from './transport-link.js';
import { parseWire } from './wire-json.js';

interface Connected {
  readonly link: TransportLink;
  readonly replies: ReplyChannels;
  readonly ready: Promise<void>;
}

const noop = () => {};

/**
 * The client side of the transport, wire-compatible with `@nestjs/microservices`' built-in
 * `ClientRedis`: a request is published on its pattern's channel as `{ pattern, data, id }`
 * and its replies are read from `<pattern>.reply`; an event is `{ pattern, data }`.
 *
 * `ClientsModule.register([{ name: 'SVC', customClass: JustRedisClientProxy, options: { url } }])`.
 * Timeouts are rxjs's (`send(...).pipe(timeout(ms))`): unsubscribing drops the request; a
 * reply channel no request has used for `REPLY_LINGER_MS` is unsubscribed.
 */
// Status stays `string` in the base type so that `customClass: JustRedisClientProxy` type-checks
// in `ClientsModule.register()`; the `status` getter below narrows it for readers.
export class JustRedisClientProxy extends ClientProxy<JustRedisEvents> {
  readonly #settings: TransportSettings;
  readonly #logger = new Logger(JustRedisClientProxy.name);
  readonly #listeners: [JustRedisEvent, JustRedisEvents[JustRedisEvent]][] = [];
  #connected: Connected | null = null;

  constructor(options: JustRedisClientOptions = {}) {
    super();
    this.#settings = transportSettings(options, 'JustRedisClientProxy', false);
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
  }

  /** `'connected'`, `'reconnecting'` (push connection lost; requests in flight failed), `'disconnected'` (closed). */
  override get status(): Observable<JustRedisStatus> {
    return super.status as Observable<JustRedisStatus>;
  }

  /** Opens the client (once; every `send()`/`emit()` calls this) and checks the server answers. */
  connect(): Promise<void> {
    if (this.#connected !== null) return this.#connected.ready;
    const link = new TransportLink(this.#settings, JustRedisClientProxy.name, (status) => this.#onStatus(status));
    for (const [event, listener] of this.#listeners) link.on(event, listener);
    const ready = link.ping().then(
      () => {
        if (this.#connected?.link === link) this._status$.next('connected');
      },
      async (err: unknown) => {
        // Let the next connect() start over rather than repeat this failure forever.
        if (this.#connected?.link === link) this.#connected = null;
        await link.close();
        throw err;
      },
    );
    this.#connected = { link, replies: new ReplyChannels(link, (text) => this.#onReply(text)), ready };
    return ready;
  }

  /** Fails requests in flight, closes the push connection, and the client if this proxy created it. */
  async close(): Promise<void> {
    const connected = this.#connected;
    this.#connected = null;
    this.#failInFlight(new Error('Connection closed'));
    if (connected === null) return;
    connected.replies.close();
    await connected.link.close();
    this._status$.next('disconnected');
  }

  /** The `Redis` client in use (after `connect()`). */
  unwrap<T = Redis>(): T {
    if (this.#connected === null) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.#connected.link.redis as T;
  }

  /** The client's `disconnect` / `reconnect` events; kept across `close()`/`connect()`. */
  override on<EventKey extends keyof JustRedisEvents = keyof JustRedisEvents, EventCallback extends JustRedisEvents[EventKey] = JustRedisEvents[EventKey]>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    assertEventListener(event, callback);
    this.#listeners.push([event, callback]);
    this.#connected?.link.on(event, callback);
  }

  /** The channel a request is published on (the built-in transport's hook, same default). */
  getRequestPattern(pattern: string): string {
    return pattern;
  }

  /** The channel its replies come on (the built-in transport's hook, same default). */
  getReplyPattern(pattern: string): string {
    return `${pattern}.reply`;
  }

  protected publish(partialPacket: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const connected = this.#connected;
    if (connected === null) {
      callback({ err: new Error('JustRedisClientProxy is not connected') });
      return noop;
    }
    let id: string;
    let pattern: string;
    let payload: string;
    try {
      const packet = this.assignPacketId(partialPacket);
      id = packet.id;
      pattern = this.normalizePattern(partialPacket.pattern);
      payload = JSON.stringify(this.serializer.serialize(packet));
    } catch (err) {
      callback({ err });
      return noop;
    }
    const { link, replies } = connected;
    const replyChannel = this.getReplyPattern(pattern);
    const requestChannel = this.getRequestPattern(pattern);
    let active = true;
    this.routingMap.set(id, callback);
    const send = () => {
      if (!active) return;
      // Replies published while the push connection is down are lost: say so now rather than wait forever.
      if (!link.up) return callback({ err: new Error('Connection lost. Trying to reconnect...') });
      link.publish(requestChannel, payload).catch((err: unknown) => {
        if (active) callback({ err });
      });
    };
    const ready = replies.acquire(replyChannel);
    if (ready === null) send();
    else
      ready.then(send, (err: unknown) => {
        if (active) callback({ err });
      });
    return () => {
      if (!active) return;
      active = false;
      this.routingMap.delete(id);
      replies.release(replyChannel);
    };
  }

  protected async dispatchEvent<T = any>(packet: ReadPacket): Promise<T> {
    const connected = this.#connected;
    if (connected === null) throw new Error('JustRedisClientProxy is not connected');
    const pattern = this.normalizePattern(packet.pattern);
    await connected.link.publish(this.getRequestPattern(pattern), JSON.stringify(this.serializer.serialize(packet)));
    return undefined as T;
  }

  /** Runs inside the push connection's reader: a throwing deserializer or observer must not end it. */
  #onReply(text: string): void {
    try {
      const result = this.deserializer.deserialize(parseWire(text));
      if (result instanceof Promise) result.then((packet) => this.#route(packet)).catch((err: unknown) => this.#logger.error(err));
      else this.#route(result);
    } catch (err) {
      this.#logger.error(err);
    }
  }

  #route(packet: WritePacket & { id?: string }): void {
    const callback = this.routingMap.get(packet.id as string);
    if (callback === undefined) return; // timed out, or another client's request on the same pattern
    const { err, response, isDisposed } = packet;
    if (isDisposed || err) callback({ err, response, isDisposed: true });
    else callback({ err, response });
  }

  #onStatus(status: JustRedisStatus): void {
    // Replies published while the push connection was down never arrive: fail those requests.
    if (status === 'reconnecting') this.#failInFlight(new Error('Connection lost. Trying to reconnect...'));
    this._status$.next(status);
  }

  #failInFlight(err: Error): void {
    if (this.routingMap.size === 0) return;
    const callbacks = [...this.routingMap.values()];
    this.routingMap.clear();
    for (const callback of callbacks) {
      try {
        callback({ err });
      } catch {
        // One failing observer must not keep the others pending.
      }
    }
  }
}
