import type { ConnectionOptions } from 'node:tls';

/** What a server's arguments / config may depend on: known only once a port and dir exist. */
export interface RedisProcessContext {
  port: number;
  /** The server's own temp dir (its cwd, `--dir`, log file, config file). */
  dir: string;
}

export interface RedisProcessOptions {
  /** Extra server arguments, after the defaults (so they can override them). */
  args?: string[] | ((ctx: RedisProcessContext) => string[]);
  /**
   * Contents of `<dir>/redis.conf` (mode 600), passed as the first argument. Secrets go
   * here rather than in `args` so they never show up in `ps` or in error messages. Sentinel
   * and cluster mode need a writable config file anyway.
   */
  config?: string | ((ctx: RedisProcessContext) => string);
  /** Fixed port. Without it a free one is picked, retrying with another on a bind race. */
  port?: number;
  /** The port arguments; default `['--port', port]`. TLS: `['--port', '0', '--tls-port', port]`. */
  portArgs?: (port: number) => string[];
  /** Probe readiness over TLS with these options (the port then speaks TLS only). */
  tls?: ConnectionOptions;
  /** `--enable-debug-command yes` (default true: tests use DEBUG SLEEP, DEBUG RESTART...). */
  enableDebug?: boolean;
  /** Strings to mask in log tails quoted by errors (passwords). */
  secrets?: string[];
  /** Readiness bound per start (default 10 s). */
  readyTimeoutMs?: number;
  /** The redis-server binary (default `$REDIS_SERVER_BIN` or `redis-server`). */
  binary?: string;
  /** Used in messages, e.g. 'sentinel'. */
  name?: string;
}

/** A running redis-server child process, owned by the caller. */
export interface RedisProcess {
  readonly port: number;
  /** pid of the latest child (still the old one after kill/stop, so tests can check it is gone). */
  readonly pid: number;
  readonly dir: string;
  readonly running: boolean;
  /** SIGTERM, SIGKILL after 3 s, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (a crash); keeps the dir so `restart()` works. */
  kill(): Promise<void>;
  /** Start again with the same port, dir and arguments (stopping first if still running). */
  restart(): Promise<void>;
  /** SIGSTOP: the server stays connected but silent. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** The last lines of the server's log and stderr since its latest start, secrets masked. */
  logTail(lines?: number): string;
}

/** Start failure; `portInUse` means another process won the race for the port. */
export class RedisProcessError extends Error {
  override readonly name = 'RedisProcessError';
  constructor(message: string, readonly portInUse: boolean) {
    super(message);
  }
}

export const defaultRedisServerBinary = (): string => process.env.REDIS_SERVER_BIN || 'redis-server';
