import { isIP } from 'node:net';
import type { Address, ResolvedOptions } from '../options.js';
import type { ConnectConfig } from '../connection/connect.js';

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

/**
 * Connections to the data nodes (master, replicas): the client's own settings and
 * credentials. Sentinels announce IPs; with TLS the certificate is checked against the
 * host name the caller gave for the sentinels unless `tls.servername` says otherwise.
 */
export function nodeConfig(options: ResolvedOptions): ConnectConfig {
  if (options.socketFactory !== 'ssl' || options.tls?.servername !== undefined) return options;
  const named = options.addresses.find((a): a is readonly [string, number] => typeof a !== 'string' && isIP(a[0]) === 0);
  return named === undefined ? options : { ...options, tls: { ...options.tls, servername: named[0] } };
}

/** A one-shot ROLE probe of a candidate master: like a data connection, but quick to give up. */
export function probeConfig(options: ResolvedOptions): ConnectConfig {
  return {
    ...nodeConfig(options),
    database: 0,
    connectRetry: 0,
    connectTimeout: options.connectTimeout ?? QUERY_TIMEOUT_MS,
    socketTimeout: options.socketTimeout ?? QUERY_TIMEOUT_MS,
  };
}

/** An address a sentinel announced, after the caller's `natMap` (containers, NAT). */
export function translate(options: ResolvedOptions, host: string, port: number): Address {
  const nat = options.natMap;
  if (nat === undefined) return [host, port];
  const mapped = typeof nat === 'function' ? nat(host, port) : nat[`${host}:${port}`];
  return mapped === undefined ? [host, port] : [mapped[0], mapped[1]];
}
