import { execFile } from 'node:child_process';
import { defaultRedisServerBinary } from './redis-process.js';

export const REDIS_UNAVAILABLE_MESSAGE =
  'redis-server is not installed (apt-get install redis-server redis-tools) and no Docker engine is reachable for testcontainers';

export type RedisAvailability = 'binary' | 'docker' | 'none';

function binaryWorks(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout) => resolve(!error && /v=\d/.test(stdout)));
  });
}

const cache = new Map<string, Promise<RedisAvailability>>();

/**
 * How throwaway servers can be started here: the local `redis-server` binary (from PATH,
 * or `$REDIS_SERVER_BIN`), Docker through testcontainers, or not at all. Use it to skip
 * suites, e.g. `const d = (await redisServerAvailable()) === 'none' ? describe.skip : describe`.
 * Cached per binary for the life of the process.
 */
export function redisServerAvailable(): Promise<RedisAvailability> {
  const binary = defaultRedisServerBinary();
  let result = cache.get(binary);
  if (!result) {
    result = (async (): Promise<RedisAvailability> => {
      if (await binaryWorks(binary)) return 'binary';
      const { dockerReachable } = await import('./containers.js');
      return (await dockerReachable()) ? 'docker' : 'none';
    })();
    cache.set(binary, result);
  }
  return result;
}
