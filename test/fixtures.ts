/**
 * Shared setup for test files: one real server per file (or `describe`), started before its
 * tests and stopped after them, instead of the same beforeAll/afterAll block in every file.
 */
import { startRedisCluster, startRedisServer, type RedisClusterOptions, type RedisClusterSetup, type RedisServer, type RedisServerOptions } from '../lib/testing/index.js';

/**
 * Starts a `redis-server` in `beforeAll` and stops it in `afterAll` of the enclosing scope.
 * Returns a stand-in usable as the server itself (`server.host`, `server.cli(...)`) from
 * hooks and tests; touching it before `beforeAll` ran says so instead of reading undefined.
 */
export function useRedisServer(options?: RedisServerOptions): RedisServer {
  let started: RedisServer | undefined;
  beforeAll(async () => {
    started = await startRedisServer(options);
  });
  afterAll(async () => {
    await started?.stop();
  });
  return standIn(() => started, 'useRedisServer()');
}

/**
 * A server plus a client of the test's own on it (`admin`, for CLIENT LIST, PUBLISH, …):
 * the client is made once the server is up and closed before the server stops.
 */
export function useRedisServerWithAdmin<A extends { close(): Promise<void> }>(
  makeAdmin: (server: RedisServer) => A,
  options?: RedisServerOptions,
): { server: RedisServer; admin: A } {
  let started: RedisServer | undefined;
  let admin: A | undefined;
  beforeAll(async () => {
    started = await startRedisServer(options);
    admin = makeAdmin(started);
  });
  afterAll(async () => {
    await admin?.close();
    await started?.stop();
  });
  return { server: standIn(() => started, 'useRedisServerWithAdmin()'), admin: standIn(() => admin, 'useRedisServerWithAdmin() admin') };
}

/**
 * The same for a cluster (`startRedisCluster`): started in `beforeAll` (bounded by
 * `startTimeoutMs`: six nodes and their handshake), stopped in `afterAll`.
 */
export function useRedisCluster(options?: RedisClusterOptions, startTimeoutMs = 60_000): RedisClusterSetup {
  let started: RedisClusterSetup | undefined;
  beforeAll(async () => {
    started = await startRedisCluster(options);
  }, startTimeoutMs);
  afterAll(async () => {
    await started?.stop();
  });
  return standIn(() => started, 'useRedisCluster()');
}

/** A proxy reading through to what `current()` returns, methods bound to it (they may use private fields). */
function standIn<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, property) {
      const target = current();
      if (target === undefined) throw new Error(`${what}: the server starts in beforeAll; use it from hooks and tests, not while the file loads`);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has(_, property) {
      const target = current();
      return target !== undefined && property in target;
    },
  });
}
