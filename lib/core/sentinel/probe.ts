import type { Address } from '../options.js';
import { closedByClientError, RedisError, ReplyError } from '../errors.js';
import { type CommandArg, UTF8_REPLIES } from '../resp/types.js';
import { connect, type ConnectConfig } from '../transport/connect.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import { sendBatch } from '../pool/exclusive.js';
import { parseRole } from './replies.js';


/** Code of the error a node gets when ROLE says it is not (or no longer) the master. */
export const NOT_MASTER = 'ERR_SENTINEL_NOT_MASTER';

/**
 * Opens a connection, sends `commands` in one write, closes it; replies (errors as values) in order.
 * Aborting `signal` (the owner's close) ends the connect or the wait for the replies at once,
 * rejecting with `signal.reason`: a silent sentinel must not hold a close up for `socketTimeout`.
 */
export async function queryOnce(
  address: Address,
  config: ConnectConfig,
  commands: readonly (readonly CommandArg[])[],
  signal?: AbortSignal,
): Promise<unknown[]> {
  const connection = await connect(address, config, signal);
  return useOnce(connection, 'Query', signal, () => sendBatch(connection, commands, UTF8_REPLIES));
}

/**
 * Throws unless the server on `connection` says ROLE master. Sentinels may lag behind a
 * failover, and a demoted master still accepts connections: only the node itself can say
 * whether writes will land. A server that forbids ROLE (ACL) is taken at the sentinels' word.
 */
export async function assertMaster(connection: RedisConnection): Promise<void> {
  const [reply] = await sendBatch(connection, [['ROLE']], UTF8_REPLIES);
  if (reply instanceof ReplyError && reply.code === 'NOPERM') return;
  if (reply instanceof Error) throw reply;
  const role = parseRole(reply);
  if (role !== 'master') throw new RedisError(`${connection.where} is a ${role}, not a master`, NOT_MASTER);
}

/** Connects to `address` and checks ROLE (see `assertMaster`); `signal` as for `queryOnce`. */
export async function probeMaster(address: Address, config: ConnectConfig, signal?: AbortSignal): Promise<void> {
  const connection = await connect(address, config, signal);
  await useOnce(connection, 'Probe', signal, () => assertMaster(connection));
}

/**
 * Runs `use` on a one-shot connection and destroys the connection afterwards, or as soon as
 * `signal` aborts: the pending replies then fail with the signal's reason (the owner's
 * "client is closed" error), and no socket outlives the owner's close.
 */
async function useOnce<T>(connection: RedisConnection, kind: string, signal: AbortSignal | undefined, use: () => Promise<T>): Promise<T> {
  const onAbort = () => connection.destroy(signal!.reason as Error, false);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Aborted between the connect and here: the listener above would never fire.
    if (signal?.aborted) throw signal.reason;
    return await use();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    connection.destroy(closedByClientError(`${kind} connection to ${connection.where}`), false);
  }
}
