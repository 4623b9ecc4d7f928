import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Address, SocketFactory } from '../options.js';
import type { Given, ResolvedSoFar } from './row.js';

/** Resolutions of options that depend on others; the table names them on its rows. */

export const DEFAULT_PORT = 6379;
export const DEFAULT_SENTINEL_PORT = 26379;
/** A failover with the default cluster-node-timeout (15 s) takes longer; with 1-5 s it fits. */
const DEFAULT_FAILOVER_WAIT_MS = 10_000;

/** `address` first, then `addresses`; with neither, the default server (or sentinel, or socket). */
export function seedAddresses(given: Given, resolved: ResolvedSoFar): readonly Address[] {
  const list = given.addresses as readonly Address[] | undefined;
  const one = given.address as Address | undefined;
  if (list !== undefined) return one === undefined ? list : [one, ...list];
  if (one !== undefined) return [one];
  if (given.socketFactory === 'unix') return ['/tmp/redis.sock'];
  return [['localhost', resolved.poolFactory === 'sentinel' ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT]];
}

/** The given socket kind, else unix for a path, TLS when TLS settings are given, TCP otherwise. */
export function socketFactoryFor(given: Given, resolved: ResolvedSoFar): SocketFactory {
  if (given.socketFactory !== undefined) return given.socketFactory as SocketFactory;
  if (typeof (resolved.addresses as readonly Address[])[0] === 'string') return 'unix';
  return given.tls || given.sslCafile || given.sslCertfile ? 'ssl' : 'tcp';
}

/** `tls` with the `ssl*file` files read into it; `{}` whenever the socket is TLS. */
export function tlsFor(given: Given, resolved: ResolvedSoFar): TlsConnectionOptions | undefined {
  let tls = given.tls as TlsConnectionOptions | undefined;
  const caFile = given.sslCafile as string | undefined;
  const certFile = given.sslCertfile as string | undefined;
  const keyFile = given.sslKeyfile as string | undefined;
  if (caFile || certFile || keyFile) {
    tls = { ...tls };
    if (caFile) tls.ca = readFileSync(caFile);
    if (certFile) tls.cert = readFileSync(certFile);
    if (keyFile) tls.key = readFileSync(keyFile);
  }
  if (resolved.socketFactory === 'ssl') tls ??= {};
  return tls;
}

/** A sentinel client cannot work without the name of the master it asks for. */
export function sentinelMasterFor(given: Given, resolved: ResolvedSoFar): string | undefined {
  const name = given.sentinelMaster as string | undefined;
  if (resolved.poolFactory === 'sentinel' && (name === undefined || name === '')) {
    throw new TypeError('poolFactory "sentinel" needs "sentinelMaster", the name the sentinels monitor (or a redis+sentinel://host:port/name URL)');
  }
  return name;
}

/** `failoverWait` when not given: `socketTimeout` if set, else 10 s. */
export const failoverWaitFallback = (resolved: ResolvedSoFar): number => (resolved.socketTimeout as number | undefined) ?? DEFAULT_FAILOVER_WAIT_MS;
