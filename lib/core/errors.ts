/**
 * Every error this library raises. Each class sets `name` and a stable `code`
 * so callers can branch on codes instead of message text.
 *
 * Invalid input from the caller is a plain `TypeError` / `RangeError` (thrown or
 * rejected before anything is sent); everything else derives from `RedisError`.
 */

/** Base of every error raised by the client (not by the caller's bad input). */
export class RedisError extends Error {
  code: string;
  constructor(message: string, code = 'ERR_JUSTREDIS', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisError';
    this.code = code;
  }
}

/**
 * The server answered with an error reply (`-ERR ...` or a RESP3 bulk error).
 * `message` is the server's text; `code` is its first word (`ERR`, `WRONGTYPE`, `MOVED`, ...).
 */
export class ReplyError extends RedisError {
  constructor(message: string) {
    const space = message.indexOf(' ');
    super(message, space === -1 ? message : message.slice(0, space));
    this.name = 'ReplyError';
  }
}

/** A pipeline where at least one command failed; `results` holds every reply or error, in order. */
export class PipelinedExceptions extends RedisError {
  readonly results: unknown[];
  constructor(results: unknown[]) {
    const failed = results.filter((r) => r instanceof Error).length;
    super(`${failed} of ${results.length} pipelined commands failed`, 'ERR_PIPELINE');
    this.name = 'PipelinedExceptions';
    this.results = results;
  }
}

/** An I/O failure: connect refused or timed out, socket closed or timed out. `cause` is the underlying error. */
export class CommunicationError extends RedisError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.code ?? 'ERR_COMMUNICATION', options);
    this.name = 'CommunicationError';
  }
}

/**
 * The client closed a connection because the server it is on is no longer where it
 * belongs in the topology (not because `close()` was called): a sentinel failover moved the
 * master (`MasterChangedError`), or a node left the cluster (`NodeRemovedError`). Exclusive
 * connections (`connection()`) and push connections (subscribers) taken there end with one
 * of these — never with `ERR_CLIENT_CLOSED`, which means `close()` — so a subscriber can tell
 * "subscribe again" (a new connection goes where the topology now points) from "stop":
 * `err instanceof TopologyChangedError`. Each subclass has its own `code`.
 */
export class TopologyChangedError extends CommunicationError {
  constructor(message: string, code: string) {
    super(message, { code });
    this.name = 'TopologyChangedError';
  }
}

/**
 * Sentinel moved the master: the client closed its connections to the old one. Exclusive
 * and push connections taken there end with this error (code `ERR_MASTER_CHANGED`).
 * `previous` and `current` are the two masters' `host:port`.
 */
export class MasterChangedError extends TopologyChangedError {
  constructor(
    readonly masterName: string,
    readonly previous: string,
    readonly current: string,
  ) {
    super(`The master of ${masterName} changed from ${previous} to ${current}; this connection to the old master was closed`, 'ERR_MASTER_CHANGED');
    this.name = 'MasterChangedError';
  }
}

/**
 * A cluster node left the topology while connections to it were open: its slots moved away
 * and the cluster no longer lists it (scale-down, CLUSTER FORGET / RESET), or it is reported
 * failed with no slots. Push connections on it end at once with this error (code
 * `ERR_NODE_REMOVED`) — a subscriber there would hear nothing more — and exclusive ones
 * when the node's pool closes, after the grace period that lets replies in flight arrive.
 * `address` is the node's `host:port` (as connected to, after `natMap`).
 */
export class NodeRemovedError extends TopologyChangedError {
  constructor(readonly address: string) {
    super(`Cluster node ${address} left the cluster's topology; this connection to it was closed`, 'ERR_NODE_REMOVED');
    this.name = 'NodeRemovedError';
  }
}

/** No connection could be taken from the pool within `waitTimeout`, or the pool is closed. */
export class ConnectionPoolError extends RedisError {
  constructor(message: string, code = 'ERR_POOL') {
    super(message, code);
    this.name = 'ConnectionPoolError';
  }
}

/** The server sent bytes that are not valid RESP; the connection they came on is discarded. */
export class ProtocolError extends RedisError {
  constructor(message: string) {
    super(message, 'ERR_PROTOCOL');
    this.name = 'ProtocolError';
  }
}

/**
 * The one "client is closed" error: a call, a wait for a connection or a refresh stopped
 * because `close()` was called. Made fresh each time (a shared instance would carry the
 * first caller's stack).
 */
export function clientClosedError(): ConnectionPoolError {
  return new ConnectionPoolError('The client is closed', 'ERR_CLIENT_CLOSED');
}

/**
 * A socket this client ended itself (`what`: "Connection to host:port", …); same code as
 * `clientClosedError()`, but a `CommunicationError` since it is what the connection's
 * callers see as its end.
 */
export function closedByClientError(what: string): CommunicationError {
  return new CommunicationError(`${what} was closed by the client`, { code: 'ERR_CLIENT_CLOSED' });
}
