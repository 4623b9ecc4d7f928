/**
 * `nestjs-justredis/testing`: throwaway real Redis servers for tests (standalone, TLS, ACL,
 * unix socket, sentinel). Independent of the client in lib/core on purpose: servers are
 * probed with raw sockets and redis-cli, so a broken client cannot break its own tests.
 */
export type { RedisServer, RedisServerOptions, CliAuth, RedisSentinelOptions, RedisSentinelSetup } from './types.js';
export type { AclUser } from './server-config.js';
export type { TlsMaterial } from './tls-material.js';
export type { RedisAvailability } from './availability.js';
export type { RedisProcess, RedisProcessContext, RedisProcessOptions } from './redis-process.js';
export type { ProbeTarget } from './probe.js';

export { startRedisServer } from './redis-server.js';
export { startRedisSentinel } from './sentinel.js';
export { redisServerAvailable, REDIS_UNAVAILABLE_MESSAGE } from './availability.js';
export { getTlsMaterial } from './tls-material.js';
export { freePort } from './free-port.js';
export { startRedisProcess, RedisProcessError } from './redis-process.js';
export { exchange, answersPing, waitUntilReady, pollUntil } from './probe.js';
export { startRedisCluster, type RedisClusterOptions, type RedisClusterSetup } from './cluster.js';
export { startFaultProxy, type FaultProxy, type FaultProxyOptions } from './fault-proxy.js';
