import { UTF8_REPLIES } from '../resp/types.js';
import { Pending } from '../transport/pending.js';
import type { ServerPool } from '../pool/server-pool.js';
import { ReplyError } from '../errors.js';


function ignore(): void {}

/** Sends ASKING then `command` on the shared connection: both queued in one turn, so adjacent in one write. */
export function sendAsking(pool: ServerPool, command: Pending, database: number): void {
  pool.send(new Pending(['ASKING'], UTF8_REPLIES, ignore, ignore, null, 0, 0), database);
  pool.send(command, database);
}

/**
 * For connections taken from a cluster: a MOVED/ASK there is no routing problem to fix
 * behind the caller's back (a transaction cannot hop nodes), so the error says what to do.
 * The code stays `MOVED`/`ASK` and the message starts with the server's own text.
 */
export function explainOnConnection(nodeKey: string): (error: Error) => Error {
  return (error) => {
    if (!(error instanceof ReplyError) || (error.code !== 'MOVED' && error.code !== 'ASK')) return error;
    return new ReplyError(
      `${error.message} (this connection is to ${nodeKey}; in a cluster every key used on one connection — MULTI/EXEC, WATCH — ` +
        `must hash to a slot of that node: give related keys one hash tag, e.g. {user:1}:name and {user:1}:visits, and take the connection with { key })`,
    );
  };
}
