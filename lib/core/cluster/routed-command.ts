import { CommunicationError, ReplyError } from '../errors.js';
import { ResendingCommand } from '../routing/resending-command.js';

/** What a routed command reports back to when the cluster sends it elsewhere. */
export interface RedirectHandler {
  /** MOVED, ASK, TRYAGAIN, CLUSTERDOWN, READONLY from a master (and LOADING/MASTERDOWN from a replica). */
  onClusterReply(command: RoutedCommand, error: ReplyError): void;
  /** The node could not be reached, and re-sending cannot run the command twice. */
  onUnreachable(command: RoutedCommand, error: Error): void;
}

/** Reply codes that mean "not here / not now" rather than an answer to the command. */
const CLUSTER_CODES = new Set(['MOVED', 'ASK', 'TRYAGAIN', 'CLUSTERDOWN', 'LOADING', 'MASTERDOWN', 'READONLY']);
/** Only meaningful from a replica (LOADING, MASTERDOWN) or only from a master (READONLY: it was demoted). */
const FROM_REPLICA = new Set(['LOADING', 'MASTERDOWN']);

/** Failures of a connection that was never opened: nothing was written, re-sending is safe. */
export const NEVER_SENT: ReadonlySet<string> = new Set(['ERR_CONNECT', 'ERR_CONNECT_TIMEOUT']);

/**
 * A command on its way through the cluster. It intercepts redirect replies and hands itself
 * back to the router to be re-sent (see `ResendingCommand`), so a redirect costs no
 * allocation beyond the redirect's own parsing. A read-only command may go to a replica,
 * and may be re-sent after an I/O failure (it cannot run twice to any effect).
 */
export class RoutedCommand extends ResendingCommand<RedirectHandler> {
  /** Hash slot, or -1 (`ANY_SLOT`) for a keyless command (any master); set by the router before the first send. */
  slot = 0;
  /** Redirections and retries so far, bounded by `maxRedirections`. */
  attempts = 0;
  /** While held for a failover: give up after this time (0: never held yet). */
  waitUntil = 0;
  /** Why it was last held (the error a timed-out wait reports). */
  heldBy: Error | null = null;

  override settle(value: unknown): void {
    if (value instanceof ReplyError && CLUSTER_CODES.has(value.code)) {
      if (value.code === 'READONLY' ? !this.onReplica : !FROM_REPLICA.has(value.code) || this.onReplica) {
        this.handler.onClusterReply(this, value);
        return;
      }
    }
    super.settle(value);
  }

  override fail(error: Error): void {
    if (error instanceof CommunicationError && (NEVER_SENT.has(error.code) || (this.readOnly && isConnectionLoss(error.code)))) {
      this.handler.onUnreachable(this, error);
      return;
    }
    super.fail(error);
  }

}

/** A lost connection (reset, closed by the peer): a read-only command may safely run again. */
function isConnectionLoss(code: string): boolean {
  return code === 'ERR_COMMUNICATION' || code === 'ERR_CONNECTION_CLOSED';
}

/** `MOVED 3999 127.0.0.1:6381` / `ASK ...` → slot and address; IPv6 hosts keep their colons. */
export function parseRedirect(message: string): { slot: number; host: string; port: number } | null {
  const parts = message.split(' ');
  if (parts.length < 3) return null;
  const slot = Number(parts[1]);
  const address = parts[2];
  const colon = address.lastIndexOf(':');
  if (colon === -1 || !Number.isInteger(slot)) return null;
  const port = Number(address.slice(colon + 1));
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  return Number.isInteger(port) ? { slot, host, port } : null;
}
