import { isIP } from 'node:net';
import type { Address, RedisOptions } from '../options.js';
import { formatAddress } from '../options.js';
import type { ConnectConfig } from '../transport/connect.js';

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
 * The connection settings for each node. Nodes usually announce IP addresses, but
 * certificates name hosts: unless the caller set `tls.servername`, connections to
 * IP-addressed nodes check the certificate (and send SNI) for the first seed given by host
 * name — the name the caller trusts for this deployment. Nodes named by host keep their own.
 */
export class NodeConfigs {
  /** The settings for IP-addressed nodes, or null when they need no renaming (no TLS, an explicit servername, only IP seeds). */
  private readonly renamed: ConnectConfig | null;

  constructor(
    private readonly config: ConnectConfig,
    seeds: readonly Address[],
  ) {
    const named = config.socketFactory === 'ssl' && config.tls?.servername === undefined ? seeds.find(isNamedHost) : undefined;
    this.renamed = named === undefined ? null : { ...config, tls: { ...config.tls, servername: named[0] } };
  }

  for(address: Address): ConnectConfig {
    return this.renamed !== null && typeof address !== 'string' && isIP(address[0]) !== 0 ? this.renamed : this.config;
  }
}

function isNamedHost(address: Address): address is readonly [string, number] {
  return typeof address !== 'string' && isIP(address[0]) === 0;
}
