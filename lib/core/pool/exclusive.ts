import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { Pending, pendingCall, pendingBatch } from '../connection/pending.js';
import type { RedisConnection } from '../connection/redis-connection.js';
import type { ServerPool } from './server-pool.js';

/**
 * Runs one command on an exclusive connection of `pool` and gives the connection back
 * (in its original database). Used for blocking commands: they hold the socket, so they
 * must not sit on the shared one.
 */
export async function runExclusive(
  pool: ServerPool,
  args: readonly CommandArg[],
  settings: DecodeSettings,
  database: number,
  blockMs: number,
  /** Cluster ASK: send ASKING first, in the same write (it applies to the next command only). */
  asking = false,
): Promise<unknown> {
  const connection = await pool.acquire();
  try {
    if (database !== connection.database) await selectDatabase(connection, database);
    // ASKING's reply is of no interest: if it failed, the command's own reply says why.
    if (asking) connection.send(new Pending(['ASKING'], UTF8, ignore, ignore, null, 0, 0));
    const { pending, promise } = pendingCall(args, settings, blockMs);
    connection.send(pending);
    return await promise;
  } finally {
    // A refusal from the server leaves the connection usable; an I/O failure closed it.
    let reusable = !connection.closed && connection.idle;
    if (reusable && connection.database !== pool.database) {
      reusable = await selectDatabase(connection, pool.database).then(() => true, () => false);
    }
    if (reusable) pool.release(connection);
    else pool.discard(connection);
  }
}

const UTF8: DecodeSettings = { decoder: 'utf8', attributes: false };
function ignore(): void {}

/** SELECTs `database` on a connection and records it. */
export async function selectDatabase(connection: RedisConnection, database: number): Promise<void> {
  const { pending, promise } = pendingCall(['SELECT', database], UTF8);
  connection.send(pending);
  await promise;
  connection.database = database;
}

/** Sends commands on one connection and waits for all replies (errors as values). */
export function sendBatch(connection: RedisConnection, commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[] | DecodeSettings): Promise<unknown[]> {
  const { pendings, promise } = pendingBatch(commands, settings);
  connection.sendMany(pendings);
  return promise;
}
