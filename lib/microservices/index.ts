/**
 * `nestjs-justredis/microservices`: a `@nestjs/microservices` transport over this client,
 * wire-compatible with the built-in `Transport.REDIS`. Loads `@nestjs/microservices` (an
 * optional peer), which `nestjs-justredis` and `nestjs-justredis/core` never do.
 */
export { JustRedisServer } from './justredis.server.js';
export { JustRedisClientProxy } from './justredis.client-proxy.js';
export {
  JUSTREDIS_TRANSPORT,
  NO_MESSAGE_HANDLER,
  type JustRedisClientOptions,
  type JustRedisEvent,
  type JustRedisEvents,
  type JustRedisServerOptions,
  type JustRedisStatus,
  type JustRedisTransportOptions,
} from './justredis-transport.options.js';
