import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Where a server listens, for raw probes: TCP (optionally TLS) or a unix socket path.
 * Deliberately not our client (lib/core): the harness must keep working while the client
 * under test is broken.
 */
export interface ProbeTarget {
  host?: string;
  port?: number;
  path?: string;
  /** When set, connect with TLS using these options (ca, cert, key, servername, ...). */
  tls?: ConnectionOptions;
}

/**
 * Connects, writes `payload`, resolves to the first chunk the server sends back (as latin1
 * text, e.g. '+PONG\r\n' or '-NOAUTH Authentication required.\r\n'). Rejects on connect
 * errors, on a close without data and after `timeoutMs`. The socket is always destroyed,
 * so nothing is left keeping the event loop alive.
 */
export function exchange(target: ProbeTarget, payload: string | Buffer, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    let settled = false;
    const finish = (error: Error | null, data?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(data ?? '');
    };
    const onConnected = () => socket.write(payload);
    if (target.path !== undefined) {
      socket = netConnect({ path: target.path }, onConnected);
    } else if (target.tls) {
      socket = tlsConnect({ host: target.host ?? '127.0.0.1', port: target.port, ...target.tls }, onConnected);
    } else {
      socket = netConnect({ host: target.host ?? '127.0.0.1', port: target.port ?? 6379 }, onConnected);
    }
    socket.setTimeout(timeoutMs, () => finish(new Error(`no reply within ${timeoutMs} ms`)));
    socket.once('data', (chunk: Buffer) => finish(null, chunk.toString('latin1')));
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed without a reply')));
  });
}

/** True when the server answered an inline PING with anything (+PONG, -NOAUTH, -LOADING...). */
export async function answersPing(target: ProbeTarget, timeoutMs = 1_000): Promise<boolean> {
  try {
    await exchange(target, 'PING\r\n', timeoutMs);
    return true;
  } catch {
    return false;
  }
}

export interface WaitReadyOptions {
  /** Overall bound (default 10 s). */
  timeoutMs?: number;
  /** Pause between probes (default 20 ms). */
  intervalMs?: number;
  /** Checked before every probe: a returned Error (the process died) ends the wait at once. */
  failed?: () => Error | undefined;
  /** Builds the timeout error (e.g. with the server's log tail). */
  timeoutError?: (timeoutMs: number) => Error;
  /**
   * A PING reply only counts when this also holds. Used to make sure the reply came from
   * OUR process: when two Jest workers race for a port, the loser's probe would otherwise be
   * answered by the winner's server.
   */
  accept?: () => boolean;
}

/** Polls `answersPing` until it succeeds, `failed()` reports an error, or time runs out. */
export async function waitUntilReady(target: ProbeTarget, options: WaitReadyOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = options.failed?.();
    if (failure) throw failure;
    const replied = await answersPing(target, Math.max(50, Math.min(1_000, deadline - Date.now())));
    if (replied && (options.accept?.() ?? true)) return;
    const failureAfter = options.failed?.();
    if (failureAfter) throw failureAfter;
    if (Date.now() >= deadline) {
      throw options.timeoutError?.(timeoutMs) ?? new Error(`server did not answer PING within ${timeoutMs} ms`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Calls `check` every `intervalMs` until it returns a value other than `undefined`, which
 * it resolves to. After `timeoutMs` it rejects with `describe(lastError)` so the message
 * says what was still missing. Errors thrown by `check` count as "not yet".
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe: (lastError?: unknown) => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new Error(options.describe(lastError));
    await sleep(options.intervalMs ?? 100);
  }
}
