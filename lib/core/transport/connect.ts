import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, ResolvedOptions } from '../options.js';
import { formatAddress } from '../options.js';
import { CommunicationError, RedisError, ReplyError } from '../errors.js';
import { type CommandArg, UTF8_REPLIES } from '../resp/types.js';
import { openSocket, type SocketSettings } from './open-socket.js';
import { RedisConnection } from './redis-connection.js';
import { pendingBatch } from './pending.js';
import type { Secret } from '../secret.js';
import { publishConnect } from '../diagnostics/channels.js';


/** Everything needed to open and set up one connection. */
export type ConnectConfig = SocketSettings &
  Pick<ResolvedOptions, 'username' | 'clientName' | 'respVersion' | 'connectRetry' | 'cutoffSize' | 'encoder' | 'maxBulkLength' | 'socketTimeout'> & {
    readonly password: Secret | undefined;
    readonly database: number;
  };

/**
 * Opens a connection and runs the handshake (HELLO / AUTH / CLIENT SETNAME / SELECT),
 * retrying I/O failures `connectRetry` times with exponential backoff and full jitter.
 * Failures that would only repeat are not retried: a server refusal (wrong password,
 * unknown database) and a TLS certificate or host-name the check refuses (`ERR_TLS_VERIFY`).
 *
 * `signal` is the owner's close: aborting it stops the backoff, the socket being opened and
 * the handshake at once, and the call rejects with `signal.reason` (the owner's
 * "client is closed" error), so a close never waits for a retry loop.
 */
export async function connect(address: Address, config: ConnectConfig, signal?: AbortSignal): Promise<RedisConnection> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt <= config.connectRetry; attempt++) {
    if (signal?.aborted) throw signal.reason;
    if (attempt > 0) await backoff(attempt, signal);
    try {
      const socket = await openSocket(address, config, signal);
      if (signal?.aborted) {
        // Closed between the socket's connect and this line: the listener below would never fire.
        socket.destroy();
        throw signal.reason;
      }
      const connection = new RedisConnection(socket, address, config);
      // connectTimeout bounds the handshake too: a server that accepts but never answers
      // is as unreachable as one that never accepts.
      const timer =
        config.connectTimeout === undefined
          ? undefined
          : setTimeout(() => {
              connection.destroy(new CommunicationError(`Handshake with ${formatAddress(address)} timed out after ${config.connectTimeout} ms`, { code: 'ERR_CONNECT_TIMEOUT' }), false);
            }, config.connectTimeout);
      const onAbort = () => connection.destroy(signal!.reason as Error, false);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await handshake(connection, config);
        if (signal?.aborted) throw signal.reason;
      } catch (err) {
        connection.destroy(err as Error, false);
        throw err;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
      connection.announced = true;
      publishConnect(address);
      return connection;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      publishConnect(address, err as Error);
      if (isCertainFailure(err)) throw err;
      lastError = err as Error;
    }
  }
  const attempts = config.connectRetry + 1;
  throw new CommunicationError(
    `Could not connect to ${formatAddress(address)} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${lastError?.message}`,
    { cause: lastError, code: (lastError as RedisError | undefined)?.code ?? 'ERR_CONNECT' },
  );
}

/**
 * A connect failure that would only repeat: the server refused the handshake (wrong
 * password, unknown database: a `ReplyError`) or the TLS check refused its certificate or
 * host name (`ERR_TLS_VERIFY`). Not retried, and no sign the server is unreachable.
 */
export function isCertainFailure(err: unknown): boolean {
  return err instanceof ReplyError || (err instanceof CommunicationError && err.code === 'ERR_TLS_VERIFY');
}

/** The pause before retry `attempt`; an abort ends it at once with the signal's reason. */
async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(backoffMs(attempt), undefined, signal === undefined ? undefined : { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}

/** Exponential backoff from 50 ms up to 2 s, with full jitter so many clients do not reconnect in step. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(2000, 50 * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

async function run(connection: RedisConnection, commands: CommandArg[][]): Promise<unknown[]> {
  const { pendings, promise } = pendingBatch(commands, UTF8_REPLIES);
  connection.sendMany(pendings);
  const results = await promise;
  const failure = results.find((r) => r instanceof Error);
  if (failure) throw failure;
  return results;
}

async function handshake(connection: RedisConnection, config: ConnectConfig): Promise<void> {
  const password = config.password?.reveal();
  const commands: CommandArg[][] = [];
  let helloSent = false;
  if (config.respVersion !== 2) {
    const hello: CommandArg[] = ['HELLO', '3'];
    if (password !== undefined) hello.push('AUTH', config.username ?? 'default', password);
    if (config.clientName !== undefined) hello.push('SETNAME', config.clientName);
    try {
      await run(connection, [hello]);
      connection.protocol = 3;
      helloSent = true;
    } catch (err) {
      // Only an old server (no HELLO, or no RESP3) may fall back; a wrong password must not.
      const code = err instanceof ReplyError ? err.code : '';
      const unsupported = code === 'NOPROTO' || (code === 'ERR' && /unknown command/i.test((err as Error).message));
      if (config.respVersion === 3 || !unsupported) throw err;
    }
  }
  if (!helloSent) {
    if (password !== undefined) commands.push(config.username !== undefined ? ['AUTH', config.username, password] : ['AUTH', password]);
    if (config.clientName !== undefined) commands.push(['CLIENT', 'SETNAME', config.clientName]);
  }
  if (config.database !== 0) commands.push(['SELECT', config.database]);
  if (commands.length > 0) await run(connection, commands);
}
