import { type CommandArg, type DecodeSettings, UTF8_REPLIES } from '../resp/types.js';
import { pendingBatch } from '../transport/pending.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import type { ServerPool } from './server-pool.js';
import type { Lease } from './lease.js';

function ignore(): void {}

/**
 * Runs one command on an exclusive connection of `pool`, on `database`, and gives the
 * connection back through its lease. Used for blocking commands: they hold the socket, so
 * they must not sit on the shared one.
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
  const lease = await pool.lease();
  try {
    if (database !== lease.database) await lease.send(['SELECT', database], UTF8_REPLIES);
    // ASKING's reply is of no interest: if it failed, the command's own reply says why.
    if (asking) lease.send(['ASKING'], UTF8_REPLIES).catch(ignore);
    return await lease.send(args, settings, blockMs);
  } finally {
    await lease.release();
  }
}

/** Runs commands (a pipeline) on a taken connection, on `database`, then ends the lease; every reply or error, in order. */
export async function runBatchExclusive(
  lease: Lease,
  commands: readonly (readonly CommandArg[])[],
  settings: readonly DecodeSettings[] | DecodeSettings,
  database: number,
  blockMs: readonly number[],
): Promise<unknown[]> {
  try {
    if (database !== lease.database) await lease.send(['SELECT', database], UTF8_REPLIES);
    return await lease.sendBatch(commands, settings, blockMs);
  } finally {
    await lease.release();
  }
}

/** Selects `database` on a fresh lease (a `connection({ database })`); the lease is ended if the server refuses. */
export async function leaseOn(lease: Lease, database: number): Promise<Lease> {
  if (database === lease.database) return lease;
  try {
    await lease.send(['SELECT', database], UTF8_REPLIES);
  } catch (err) {
    await lease.release();
    throw err;
  }
  return lease;
}

/** Sends commands on one connection and waits for all replies (errors as values). */
export function sendBatch(connection: RedisConnection, commands: readonly (readonly CommandArg[])[], settings: readonly DecodeSettings[] | DecodeSettings): Promise<unknown[]> {
  const { pendings, promise } = pendingBatch(commands, settings);
  connection.sendMany(pendings);
  return promise;
}
