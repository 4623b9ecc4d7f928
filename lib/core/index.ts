/**
 * `nestjs-justredis/core`: the client alone. Loads no `@nestjs/*` and no `rxjs`.
 */
export { Redis, type RedisConstructor, type ConnectionOptions, type RedisEvent } from './redis.js';
export type { Topology } from './client-core.js';
export { Connection, type TypedConnection, type UntypedConnection } from './api/connection.js';
export type { TypedRedis, UntypedRedis } from './api/redis-types.js';
export type { CommandName, KnownCommand, Untyped } from './commands/typed-call.js';
export type { CommandArgs, CommandReplies } from './commands/command-table.generated.js';
export { PushConnection, type NextMessageOptions, type TypedPushConnection, type UntypedPushConnection } from './api/push-connection.js';
export {
  RedisError,
  ReplyError,
  PipelinedExceptions,
  CommunicationError,
  TopologyChangedError,
  MasterChangedError,
  NodeRemovedError,
  ConnectionPoolError,
  ProtocolError,
} from './errors.js';
export type { Address, CallOptions, CallSettings, RedisOptions, PoolFactory, SocketFactory, RespVersion } from './options.js';
// Validators the integration layers (Nest, microservices) share with the client, so an
// option is checked by one rule and worded by one message.
export { validateRedisOptions } from './validate-options.js';
export { RedisValue, type CommandArg, type ReplyDecoder, type RespTypeName } from './resp/types.js';
export type { EndpointInfo } from './routing/router.js';
export { parseRedisUrl } from './url.js';
export { assertDuration, SETTING_NAMES, validateDecoder, validateDuration } from './options.js';
export { validateViewSettings } from './call-args.js';
export type { PoolGauges } from './pool/server-pool.js';
export { COMMAND_CHANNEL, CONNECT_CHANNEL, DISCONNECT_CHANNEL, type CommandContext, type ConnectionEvent, type PublishedCommand } from './diagnostics/channels.js';
export type { ScanOptions, KeyScanOptions } from './scan.js';
