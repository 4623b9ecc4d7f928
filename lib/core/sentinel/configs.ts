import type { ResolvedOptions } from '../options.js';
import type { ConnectConfig } from '../transport/connect.js';

/**
 * Bound on one sentinel query or one ROLE probe when the caller set no connect/socket
 * timeout: a sentinel that accepts but never answers must not stall discovery.
 */
export const QUERY_TIMEOUT_MS = 2000;

/**
 * Connections to the sentinels: their own credentials (`sentinelUsername`/`sentinelPassword`,
 * none by default — the master's password is not theirs), RESP2 (pub/sub frames are plain
 * arrays), database 0, no retries (the next sentinel is the retry), and bounded waits.
 */
export function sentinelConfig(options: ResolvedOptions): ConnectConfig {
  return {
    ...options,
    username: options.sentinelUsername,
    password: options.sentinelPassword,
    respVersion: 2,
    database: 0,
    connectRetry: 0,
    connectTimeout: options.connectTimeout ?? QUERY_TIMEOUT_MS,
    socketTimeout: options.socketTimeout ?? QUERY_TIMEOUT_MS,
  };
}

/** A one-shot ROLE probe of a candidate master: like a data connection (TLS naming by `NodeConfigs`), but quick to give up. */
export function probeConfig(options: ResolvedOptions): ConnectConfig {
  return {
    ...options,
    database: 0,
    connectRetry: 0,
    connectTimeout: options.connectTimeout ?? QUERY_TIMEOUT_MS,
    socketTimeout: options.socketTimeout ?? QUERY_TIMEOUT_MS,
  };
}
