import diagnostics_channel from 'node:diagnostics_channel';
import type { Address } from '../options.js';
import type { CommandArg } from '../resp/types.js';
import { ReplyError } from '../errors.js';

/** One command of a pipeline, as published. */
export interface PublishedCommand {
  /** The command name, upper case (`'GET'`). */
  readonly command: string;
  /** Its arguments after the name, credentials replaced by `'[REDACTED]'`. */
  readonly args: readonly CommandArg[];
}

/**
 * The context published on `nestjs-justredis:command` for a `call()` or a `pipeline()`.
 * `serverAddress`/`serverPort` are those of the server that answered (on a cluster, the
 * node the last redirect led to); they stay `undefined` while no server has answered
 * (a client-side cache hit, a server that could not be reached). Node adds `result` or
 * `error` when the call settles.
 */
export interface CommandContext {
  /** The command name, upper case (`'GET'`), or `'PIPELINE'`. */
  readonly command: string;
  /** Arguments after the name, credentials redacted; empty for a pipeline. */
  readonly args: readonly CommandArg[];
  /** The database index the call ran on. */
  readonly database: number;
  /** Host name or IP (or a unix socket path) of the server that answered. */
  serverAddress: string | undefined;
  /** Its TCP port (`undefined` on a unix socket). */
  serverPort: number | undefined;
  /** Cluster MOVED/ASK redirects followed before the answer. */
  redirects: number;
  /** Pipelines: the number of commands. */
  readonly batchSize?: number;
  /** Pipelines: every command, redacted. */
  readonly commands?: readonly PublishedCommand[];
  /** Set by Node when the call resolved. */
  result?: unknown;
  /** Set by Node when the call rejected. */
  error?: unknown;
}

/** The message of `nestjs-justredis:connect` and `nestjs-justredis:disconnect`. */
export interface ConnectionEvent {
  readonly serverAddress: string;
  readonly serverPort: number | undefined;
  /** Connect: why opening failed. Disconnect: why the connection was lost (absent when the client closed it). */
  readonly error?: Error;
}

export const COMMAND_CHANNEL = 'nestjs-justredis:command';
export const CONNECT_CHANNEL = 'nestjs-justredis:connect';
export const DISCONNECT_CHANNEL = 'nestjs-justredis:disconnect';

/** `start`/`end`/`asyncStart`/`asyncEnd`/`error` around every call and pipeline. */
export const commandChannel = diagnostics_channel.tracingChannel<CommandContext, CommandContext>(COMMAND_CHANNEL);
export const connectChannel = diagnostics_channel.channel(CONNECT_CHANNEL);
export const disconnectChannel = diagnostics_channel.channel(DISCONNECT_CHANNEL);

/** A server answered a traced command: record which one, and count cluster redirects. */
export function noteAnswer(context: CommandContext, address: Address, reply: unknown): void {
  setServer(context, address);
  if (reply instanceof ReplyError && (reply.code === 'MOVED' || reply.code === 'ASK')) context.redirects++;
}

/** A traced command's connection failed after it was written: the server it was on. */
export function noteFailure(context: CommandContext, address: Address): void {
  setServer(context, address);
}

function setServer(context: CommandContext, address: Address): void {
  if (typeof address === 'string') {
    context.serverAddress = address;
    context.serverPort = undefined;
  } else {
    context.serverAddress = address[0];
    context.serverPort = address[1];
  }
}

/** Publishes a connection attempt's outcome (only when someone listens). */
export function publishConnect(address: Address, error?: Error): void {
  if (connectChannel.hasSubscribers) connectChannel.publish(connectionEvent(address, error));
}

/** Publishes the end of a connection (only when someone listens). */
export function publishDisconnect(address: Address, error?: Error): void {
  if (disconnectChannel.hasSubscribers) disconnectChannel.publish(connectionEvent(address, error));
}

function connectionEvent(address: Address, error: Error | undefined): ConnectionEvent {
  const [serverAddress, serverPort] = typeof address === 'string' ? [address, undefined] : address;
  return error === undefined ? { serverAddress, serverPort } : { serverAddress, serverPort, error };
}
