import { isIP } from 'node:net';
import type { Address, RedisOptions } from '../options.js';
import { formatAddress } from '../options.js';
import type { ConnectConfig } from '../connection/connect.js';

/**
 * An address a server announced (a cluster node in MOVED or CLUSTER SHARDS, a master or
 * replica a sentinel named), after the caller's `natMap` (containers, NAT). An object map is
 * looked up as `host:port`, then — for IPv6 hosts — as `[host]:port`.
 */
export function translateAddress(natMap: RedisOptions['natMap'], host: string, port: number): Address {
  if (natMap === undefined) return [host, port];
  const mapped = typeof natMap === 'function' ? natMap(host, port) : (natMap[`${host}:${port}`] ?? natMap[formatAddress([host, port])]);
  return mapped === undefined ? [host, port] : [mapped[0], mapped[1]];
}

/**
 * Nodes usually announce IP addresses, but certificates name hosts. Unless the caller set
 * `tls.servername`, connections to IP-announced nodes check the certificate (and send SNI)
 * for the first seed given by host name — the name the caller trusts for this deployment.
 * Undefined when no renaming applies (no TLS, an explicit servername, or only IP seeds).
 */
export function seedServerName(config: ConnectConfig, seeds: readonly Address[]): string | undefined {
  if (config.socketFactory !== 'ssl' || config.tls?.servername !== undefined) return undefined;
  const named = seeds.find((a): a is readonly [string, number] => typeof a !== 'string' && isIP(a[0]) === 0);
  return named?.[0];
}

/** `config` with `servername` as the TLS server name (the config for IP-announced nodes). */
export function withServerName(config: ConnectConfig, servername: string): ConnectConfig {
  return { ...config, tls: { ...config.tls, servername } };
}

/** True for an address given as an IP (v4 or v6), which a certificate rarely names. */
export function isIpAddress(address: Address): boolean {
  return typeof address !== 'string' && isIP(address[0]) !== 0;
}
