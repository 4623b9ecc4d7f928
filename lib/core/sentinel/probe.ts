import type { Address } from '../options.js';
import { closedByClientError, RedisError, ReplyError } from '../errors.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { connect, type ConnectConfig } from '../transport/connect.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import { sendBatch } from '../pool/exclusive.js';
import { parseRole } from './replies.js';

const UTF8: DecodeSettings = Object.freeze({ decoder: 'utf8', attributes: false });

/** Code of the error a node gets when ROLE says it is not (or no longer) the master. */
export const NOT_MASTER = 'ERR_SENTINEL_NOT_MASTER';

/** Opens a connection, sends `commands` in one write, closes it; replies (errors as values) in order. */
export async function queryOnce(address: Address, config: ConnectConfig, commands: readonly (readonly CommandArg[])[]): Promise<unknown[]> {
  const connection = await connect(address, config);
  try {
    return await sendBatch(connection, commands, UTF8);
  } finally {
    connection.destroy(closedByClientError(`Query connection to ${connection.where}`), false);
  }
}

/**
 * Throws unless the server on `connection` says ROLE master. Sentinels may lag behind a
 * failover, and a demoted master still accepts connections: only the node itself can say
 * whether writes will land. A server that forbids ROLE (ACL) is taken at the sentinels' word.
 */
export async function assertMaster(connection: RedisConnection): Promise<void> {
  const [reply] = await sendBatch(connection, [['ROLE']], UTF8);
  if (reply instanceof ReplyError && reply.code === 'NOPERM') return;
  if (reply instanceof Error) throw reply;
  const role = parseRole(reply);
  if (role !== 'master') throw new RedisError(`${connection.where} is a ${role}, not a master`, NOT_MASTER);
}

/** Connects to `address` and checks ROLE (see `assertMaster`). */
export async function probeMaster(address: Address, config: ConnectConfig): Promise<void> {
  const connection = await connect(address, config);
  try {
    await assertMaster(connection);
  } finally {
    connection.destroy(closedByClientError(`Probe connection to ${connection.where}`), false);
  }
}
