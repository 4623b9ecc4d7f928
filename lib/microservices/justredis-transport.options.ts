import type { Deserializer, Serializer } from '@nestjs/microservices';
import { parseRedisUrl, Redis, type RedisOptions, validateRedisOptions } from '../core/index.js';
import { redact } from '../nest/utils/redact.util.js';

/** Options shared by `JustRedisServer` and `JustRedisClientProxy`: the client options of `new Redis()` plus these. */
export interface JustRedisTransportOptions extends RedisOptions<any> {
  /** `redis://`, `rediss://`, `unix://`, `redis+sentinel://` (as `Redis.fromUrl`). */
  url?: string;
  /** An existing client to share (its pools); the transport opens its own push connection on it and never closes it. */
  client?: Redis;
  serializer?: Serializer;
  deserializer?: Deserializer;
}

export interface JustRedisServerOptions extends JustRedisTransportOptions {
  /** Subscribe with PSUBSCRIBE, so handler patterns may hold `*`, `?`, `[...]` (as the built-in transport's option). */
  wildcards?: boolean;
}

export type JustRedisClientOptions = JustRedisTransportOptions;

/** Status events (`server.status`, `client.status`), the same strings as `@nestjs/microservices`' `RedisStatus`. */
export type JustRedisStatus = 'connected' | 'disconnected' | 'reconnecting';

/** What `on()` accepts: the client's own events (`Redis.on`). */
export type JustRedisEvents = {
  disconnect: (info: { address: string; error?: Error }) => void;
  reconnect: (info: { address: string; error?: Error }) => void;
};

export type JustRedisEvent = keyof JustRedisEvents;

/** `transportId` of `JustRedisServer`: `@MessagePattern('x', JUSTREDIS_TRANSPORT)` binds a handler to it alone. */
export const JUSTREDIS_TRANSPORT: unique symbol = Symbol('JUSTREDIS_TRANSPORT');

/** The built-in transport's reply when no handler matches (same text, so its clients see the same error). */
export const NO_MESSAGE_HANDLER = 'There is no matching message handler defined in the remote service.';

const TRANSPORT_KEYS = new Set(['url', 'client', 'serializer', 'deserializer', 'wildcards']);

/** Validated transport options: how to get the client, and the wildcards flag. */
export interface TransportSettings {
  readonly wildcards: boolean;
  /** A client to use, and whether the transport owns (and so closes) it. */
  openClient(): { redis: Redis; owned: boolean };
}

/**
 * Checks the options at construction, so that a typo is a TypeError/RangeError before
 * anything connects; passwords never appear in the messages.
 */
export function transportSettings(options: JustRedisServerOptions | undefined, where: string, allowWildcards: boolean): TransportSettings {
  const input = options ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TypeError(`${where}: options must be an object`);
  const { url, client, serializer, deserializer, wildcards, ...rest } = input;
  if (url !== undefined && typeof url !== 'string') throw new TypeError(`${where}: "url" must be a string`);
  if (wildcards !== undefined && (!allowWildcards || typeof wildcards !== 'boolean')) {
    throw new TypeError(allowWildcards ? `${where}: "wildcards" must be a boolean` : `${where}: "wildcards" is a server option`);
  }
  if (serializer !== undefined && typeof serializer?.serialize !== 'function') throw new TypeError(`${where}: "serializer" needs a serialize() method`);
  if (deserializer !== undefined && typeof deserializer?.deserialize !== 'function') {
    throw new TypeError(`${where}: "deserializer" needs a deserialize() method`);
  }
  const clientOptions = Object.fromEntries(Object.entries(rest).filter(([key, value]) => !TRANSPORT_KEYS.has(key) && value !== undefined));
  if (client !== undefined) {
    if (!(client instanceof Redis)) throw new TypeError(`${where}: "client" must be a Redis client`);
    if (url !== undefined || Object.keys(clientOptions).length > 0) {
      throw new TypeError(`${where}: give either "client" or connection options (url, address, …), not both`);
    }
    return { wildcards: wildcards ?? false, openClient: () => ({ redis: client, owned: false }) };
  }
  try {
    validateRedisOptions(url === undefined ? clientOptions : { ...parseRedisUrl(url), ...clientOptions });
  } catch (err) {
    const message = `${where}: ${redact((err as Error).message)}`;
    throw err instanceof RangeError ? new RangeError(message) : new TypeError(message);
  }
  return {
    wildcards: wildcards ?? false,
    openClient: () => ({ redis: url === undefined ? new Redis(clientOptions) : Redis.fromUrl(url, clientOptions), owned: true }),
  };
}

/** `on()`'s arguments, checked when given (not when the transport connects). */
export function assertEventListener(event: unknown, listener: unknown): asserts event is JustRedisEvent {
  if (event !== 'disconnect' && event !== 'reconnect') throw new TypeError(`Unknown event "${String(event)}" (allowed: disconnect, reconnect)`);
  if (typeof listener !== 'function') throw new TypeError('on() needs a listener function');
}
