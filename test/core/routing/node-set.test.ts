import { jest } from '@jest/globals';
import { resolveOptions } from '../../../lib/core/options.js';
import type { ConnectConfig } from '../../../lib/core/transport/connect.js';
import { NodeConfigs, translateAddress } from '../../../lib/core/routing/node-naming.js';
import { NodeSet } from '../../../lib/core/routing/node-set.js';

/**
 * The node set every router keeps its pools in (standalone, cluster, sentinel): address
 * translation through `natMap`, the TLS server name of IP-addressed nodes, and the pools'
 * lifecycle (one per address, retirement after a grace period, revival, close of all).
 * Pools open connections lazily, so none of this needs a server.
 */

describe('translateAddress (natMap, the same for cluster and sentinel)', () => {
  test('an object map is looked up as host:port', () => {
    expect(translateAddress({ '10.0.0.1:7000': ['localhost', 17000] }, '10.0.0.1', 7000)).toEqual(['localhost', 17000]);
  });

  test('an IPv6 host is also looked up with brackets, [host]:port', () => {
    expect(translateAddress({ '[fd00::1]:7000': ['localhost', 17000] }, 'fd00::1', 7000)).toEqual(['localhost', 17000]);
  });

  test('a function map is called with host and port; undefined keeps the address', () => {
    const nat = (host: string, port: number) => (host === 'a' ? (['b', port + 1] as const) : undefined);
    expect(translateAddress(nat, 'a', 1)).toEqual(['b', 2]);
    expect(translateAddress(nat, 'c', 1)).toEqual(['c', 1]);
  });

  test('an address the map does not name, or no map, is kept', () => {
    expect(translateAddress({ 'x:1': ['y', 2] }, '10.0.0.1', 7000)).toEqual(['10.0.0.1', 7000]);
    expect(translateAddress(undefined, '10.0.0.1', 7000)).toEqual(['10.0.0.1', 7000]);
  });
});

describe('NodeConfigs (TLS server name of IP-addressed nodes)', () => {
  const servername = (config: ConnectConfig) => config.tls?.servername;

  test('an IP-addressed node is checked against the first seed named by host', () => {
    const options = resolveOptions({ addresses: [['10.0.0.9', 6379], ['redis.example', 6379]], socketFactory: 'ssl' });
    const configs = new NodeConfigs(options, options.addresses);
    expect(servername(configs.for(['10.0.0.1', 7000]))).toBe('redis.example');
    expect(servername(configs.for(['fd00::1', 7000]))).toBe('redis.example');
    // One renamed config for every IP node: no allocation per pool.
    expect(configs.for(['10.0.0.1', 7000])).toBe(configs.for(['10.0.0.2', 7001]));
  });

  test('a node named by host keeps its own name (the socket layer sends it)', () => {
    const options = resolveOptions({ addresses: [['redis.example', 6379]], socketFactory: 'ssl' });
    expect(new NodeConfigs(options, options.addresses).for(['node-1.example', 7000])).toBe(options);
  });

  test('nothing is renamed without TLS, with an explicit servername, or with IP seeds only', () => {
    const tcp = resolveOptions({ addresses: [['redis.example', 6379]] });
    expect(new NodeConfigs(tcp, tcp.addresses).for(['10.0.0.1', 7000])).toBe(tcp);
    const explicit = resolveOptions({ addresses: [['redis.example', 6379]], socketFactory: 'ssl', tls: { servername: 'mine' } });
    expect(new NodeConfigs(explicit, explicit.addresses).for(['10.0.0.1', 7000])).toBe(explicit);
    const ips = resolveOptions({ addresses: [['10.0.0.9', 6379]], socketFactory: 'ssl' });
    expect(new NodeConfigs(ips, ips.addresses).for(['10.0.0.1', 7000])).toBe(ips);
  });
});

describe('NodeSet (the one owner of pools)', () => {
  const options = resolveOptions({ addresses: [['127.0.0.1', 1]], natMap: { '10.0.0.1:7000': ['127.0.0.1', 17000] } });
  let nodes: NodeSet;

  beforeEach(() => {
    jest.useFakeTimers();
    nodes = new NodeSet(options, null);
  });
  afterEach(async () => {
    await nodes.close();
    jest.useRealTimers();
  });

  test('one keyed pool per address; announced addresses go through natMap', () => {
    const a = nodes.pool(['127.0.0.1', 17000]);
    expect(nodes.pool(['127.0.0.1', 17000])).toBe(a);
    expect(nodes.pool(nodes.translate('10.0.0.1', 7000))).toBe(a);
    expect(nodes.find('127.0.0.1:17000')).toBe(a);
    expect([...nodes.pools()]).toEqual([a]);
  });

  test('open() gives a pool of its own, never shared through pool()', () => {
    const owned = nodes.open(['127.0.0.1', 17000]);
    expect(nodes.pool(['127.0.0.1', 17000])).not.toBe(owned);
    expect(nodes.find('127.0.0.1:17000')).not.toBe(owned);
  });

  test('a retired pool closes after its grace period and is forgotten', () => {
    const a = nodes.pool(['127.0.0.1', 17000]);
    nodes.retire(a, 1000);
    expect(nodes.isRetiring(a)).toBe(true);
    jest.advanceTimersByTime(999);
    expect(a.isClosed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(a.isClosed).toBe(true);
    expect(nodes.find(a.key)).toBeUndefined();
    expect(nodes.pool(['127.0.0.1', 17000])).not.toBe(a);
  });

  test('a retiring pool named again before its grace period ends is kept', () => {
    const a = nodes.pool(['127.0.0.1', 17000]);
    nodes.retire(a, 1000);
    expect(nodes.pool(['127.0.0.1', 17000])).toBe(a);
    expect(nodes.isRetiring(a)).toBe(false);
    jest.advanceTimersByTime(2000);
    expect(a.isClosed).toBe(false);
  });

  test('retireAllBut retires every keyed pool not in use', () => {
    const a = nodes.pool(['127.0.0.1', 17000]);
    const b = nodes.pool(['127.0.0.1', 17001]);
    nodes.retireAllBut(new Set([a]), 1000);
    expect(nodes.isRetiring(a)).toBe(false);
    expect(nodes.isRetiring(b)).toBe(true);
  });

  test('retiring with no grace period closes at once', () => {
    const owned = nodes.open(['127.0.0.1', 17000]);
    nodes.retire(owned);
    expect(owned.isClosed).toBe(true);
  });

  test('close() closes every pool: keyed, owned and retiring; a pool made later is closed', async () => {
    const keyed = nodes.pool(['127.0.0.1', 17000]);
    const owned = nodes.open(['127.0.0.1', 17001]);
    const retiring = nodes.pool(['127.0.0.1', 17002]);
    nodes.retire(retiring, 10_000);
    await nodes.close();
    expect([keyed.isClosed, owned.isClosed, retiring.isClosed]).toEqual([true, true, true]);
    expect(jest.getTimerCount()).toBe(0);
    expect(nodes.pool(['127.0.0.1', 17003]).isClosed).toBe(true);
  });
});
