import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { ManagedRedisProcess, START_ATTEMPTS } from './process-handle.js';
import { RedisProcessError, type RedisProcess, type RedisProcessContext, type RedisProcessOptions } from './process-types.js';

/** A temp dir short enough that `<dir>/redis.sock` fits in sun_path (~104 bytes). */
function makeTempDir(): string {
  const base = tmpdir().length > 70 && existsSync('/tmp') ? '/tmp' : tmpdir();
  return mkdtempSync(join(base, 'justredis-'));
}

export {
  defaultRedisServerBinary,
  RedisProcessError,
  type RedisProcess,
  type RedisProcessContext,
  type RedisProcessOptions,
} from './process-types.js';

/**
 * Spawns `redis-server [<dir>/redis.conf] <port args> <defaults> <args>` as a child process
 * in a fresh temp dir and resolves once it answers PING. Defaults: loopback only, no
 * persistence, `--daemonize no`, log file in the temp dir, DEBUG enabled, immediate
 * replica sync. Without a fixed `port`, a bind race (another process took the port) is
 * retried with a new port, up to 5 times. This is the building block for standalone
 * servers, sentinels and cluster nodes (see redis-server.ts `startLocalRedisServer`).
 */
export async function startRedisProcess(options: RedisProcessOptions = {}): Promise<RedisProcess> {
  const attempts = options.port === undefined ? START_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const dir = makeTempDir();
    const ctx: RedisProcessContext = { port, dir };
    const argv: string[] = [];
    if (options.config !== undefined) {
      const config = typeof options.config === 'function' ? options.config(ctx) : options.config;
      const configFile = join(dir, 'redis.conf');
      writeFileSync(configFile, config.endsWith('\n') || config === '' ? config : `${config}\n`, { mode: 0o600 });
      argv.push(configFile);
    }
    argv.push(...(options.portArgs ?? ((p: number) => ['--port', String(p)]))(port));
    argv.push('--bind', '127.0.0.1', '-::1'); // '-': skip ::1 quietly where IPv6 is off
    argv.push('--save', '', '--appendonly', 'no', '--daemonize', 'no');
    argv.push('--dir', dir, '--logfile', join(dir, 'redis.log'));
    // A replica's first sync would otherwise wait 5 s for more replicas to share it.
    argv.push('--repl-diskless-sync-delay', '0');
    if (options.enableDebug ?? true) argv.push('--enable-debug-command', 'yes');
    argv.push(...(typeof options.args === 'function' ? options.args(ctx) : (options.args ?? [])));
    const proc = new ManagedRedisProcess(port, dir, argv, options);
    try {
      await proc.launch();
      return proc;
    } catch (error) {
      await proc.stop();
      if (!(error instanceof RedisProcessError && error.portInUse) || attempt >= attempts) throw error;
    }
  }
}
