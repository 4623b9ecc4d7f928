import { CommunicationError, ConnectionPoolError, RedisError, ReplyError } from '../errors.js';
import { ResendingCommand } from '../routing/resending-command.js';
import { NOT_MASTER } from './probe.js';

/** What a command reports back to when it must be sent again. */
export interface ResendHandler {
  /** The master answered READONLY (it was demoted): the write did not happen, try the new master once. */
  onReadOnly(command: SentinelCommand, error: ReplyError): void;
  /** The command was never written (no connection, a retired pool, not a master), or a replica could not serve it. */
  onUnsent(command: SentinelCommand, error: Error): void;
}

/** Re-sends of a never-written command; each one waits for a rediscovery, so this bounds the wait too. */
export const MAX_RESENDS = 3;

/** Replies of a replica that cannot serve reads right now; the master can. */
const REPLICA_UNAVAILABLE = new Set(['LOADING', 'MASTERDOWN']);

/**
 * A command on its way to the sentinel-managed master (or a replica). It is a `Pending`
 * the connection settles like any other; it intercepts the answers that mean "not sent
 * here, send again" and hands itself back to the router instead of settling, so the caller
 * never sees a failover it did not have to.
 *
 * What is never re-sent: a command that was written and then lost its connection. It may
 * have run, so the caller gets the CommunicationError.
 */
export class SentinelCommand extends ResendingCommand<ResendHandler> {
  private readOnlyRetried = false;
  private resends = 0;

  override settle(value: unknown): void {
    if (value instanceof ReplyError) {
      if (this.onReplica && REPLICA_UNAVAILABLE.has(value.code)) {
        this.masterOnly = true;
        this.handler.onUnsent(this, value);
        return;
      }
      if (value.code === 'READONLY' && !this.onReplica && !this.readOnlyRetried) {
        this.readOnlyRetried = true;
        this.handler.onReadOnly(this, value);
        return;
      }
    }
    super.settle(value);
  }

  override fail(error: Error): void {
    if (this.resends < MAX_RESENDS && wasNeverSent(error)) {
      this.resends++;
      if (this.onReplica) this.masterOnly = true;
      this.handler.onUnsent(this, error);
      return;
    }
    super.fail(error);
  }

}

/**
 * Failures that prove the command never left the client: the connection could not be
 * opened, the node's ROLE check failed before use, or the pool was closed under a queued
 * command (a retired master). Re-sending these cannot run anything twice.
 */
export function wasNeverSent(error: unknown): boolean {
  if (error instanceof CommunicationError) return error.code === 'ERR_CONNECT' || error.code === 'ERR_CONNECT_TIMEOUT';
  if (error instanceof ConnectionPoolError) return error.code === 'ERR_CLIENT_CLOSED';
  return error instanceof RedisError && error.code === NOT_MASTER;
}

/** READONLY: a demoted master refused a write, which therefore did not happen. */
export function isReadOnlyReply(error: unknown): boolean {
  return error instanceof ReplyError && error.code === 'READONLY';
}
