import type { CallSettings, RespVersion } from '../options.js';
import type { ConnectionOptions, RedisClient, RedisEvent } from '../redis.js';
import type { AttributesAfter, DecoderAfter, TextOf, TypedCalls, Untyped } from '../commands/typed-call.js';
import type { CommandArg } from '../resp/types.js';
import type { KeyScanOptions, ScanOptions } from '../scan.js';
import type { Connection } from './connection.js';
import type { PushConnection } from './push-connection.js';

/*
 * The public shapes of the client. `Redis` with no type arguments is `UntypedRedis` (replies
 * `any`, as before typed calls); `Redis<D, P, At>` is `TypedRedis`, whose `call`/`pipeline`
 * know the commands. Both are interfaces over the one class (redis.ts), so a typed client can
 * be handed to code written for `Redis`, and back.
 */

/** Everything a client has besides the members that carry its decoder and protocol. */
interface RedisMembers extends Omit<RedisClient, 'call' | 'pipeline' | 'modify' | 'connection' | 'on' | 'off' | 'scanIterator' | 'hscanIterator' | 'sscanIterator' | 'zscanIterator'> {}

/** The SCAN helpers; `T` the type of a key, field, member or score as decoded. */
interface ScanHelpers<T> {
  /** Every key (matching `match`/`type`), walking SCAN to its end; on a cluster, every master. May repeat a key the server rehashed mid-walk. */
  scanIterator(options?: KeyScanOptions): AsyncGenerator<T>;
  /** `[field, value]` pairs of a hash (HSCAN). */
  hscanIterator(key: CommandArg, options?: ScanOptions): AsyncGenerator<[T, T]>;
  /** Members of a set (SSCAN). */
  sscanIterator(key: CommandArg, options?: ScanOptions): AsyncGenerator<T>;
  /** `[member, score]` pairs of a sorted set (ZSCAN; the score as the server sends it: text, on both protocols). */
  zscanIterator(key: CommandArg, options?: ScanOptions): AsyncGenerator<[T, T]>;
}

interface RedisEvents {
  /** Listens to client events (`'disconnect'`, `'reconnect'`), shared by every view. Cluster: `'cluster-refresh'` `{ masters }` after every slot-map reload. */
  on(event: 'cluster-refresh', listener: (info: { masters: string[] }) => void): this;
  on(event: RedisEvent, listener: (info: { address: string; error?: Error }) => void): this;
  off(event: 'cluster-refresh', listener: (info: { masters: string[] }) => void): this;
  off(event: RedisEvent, listener: (info: { address: string; error?: Error }) => void): this;
}

/** A client without types for its commands: every reply is `any` (`Redis` with no type arguments). */
export interface UntypedRedis extends RedisMembers, RedisEvents, ScanHelpers<any> {
  /** Sends one command; a trailing plain object holds per-call options `{ decoder, attributes, database, endpoint }`. */
  call(...args: unknown[]): Promise<any>;
  /** Sends the commands together; resolves to their replies in order, or rejects with `PipelinedExceptions`. */
  pipeline(commands: readonly (readonly unknown[])[], options?: CallSettings): Promise<any[]>;
  /** A view with other `decoder`, `attributes` or `database` sharing this client's connections. */
  modify(settings: CallSettings): this;
  /** An exclusive connection (`push: true` for pub/sub and MONITOR); give it back with `release()`/`close()`. */
  connection(options: ConnectionOptions & { push: true }): Promise<PushConnection>;
  connection(options?: ConnectionOptions & { push?: false }): Promise<Connection>;
  connection(options?: ConnectionOptions): Promise<Connection | PushConnection>;
}

/**
 * A client whose decoder is D (`'utf8'`… → strings, `null` → Buffers), RESP version P and
 * attributes flag At: `call` checks the arguments of known commands and types their replies.
 */
export interface TypedRedis<D, P extends RespVersion, At, C = {}> extends RedisMembers, RedisEvents, TypedCalls<D, P, At>, ScanHelpers<[At] extends [false] ? TextOf<D> : any> {
  /** A view with other `decoder`, `attributes` or `database` sharing this client's connections; typed for its settings. */
  modify<const S extends CallSettings>(settings: S): TypedRedis<DecoderAfter<D, S>, P, AttributesAfter<At, S>, C> & C;
  /** An exclusive connection (`push: true` for pub/sub and MONITOR); give it back with `release()`/`close()`. */
  connection(options: ConnectionOptions & { push: true }): Promise<PushConnection<D>>;
  connection<const S extends ConnectionOptions & { push?: false } = {}>(options?: S): Promise<Connection<DecoderAfter<D, S>, P, AttributesAfter<At, S>>>;
}

/**
 * The client type. `Redis` (no type arguments) keeps `Promise<any>` replies; `Redis<'utf8'>`,
 * `Redis<null, 3>` … type them (what `new Redis({ decoder, respVersion })` infers).
 */
export type RedisOf<D, P extends RespVersion, At extends boolean, C> = [D] extends [Untyped] ? UntypedRedis & C : TypedRedis<D, P, At, C> & C;
