import type { AclUser } from './server-config.js';
import type { TlsMaterial } from './tls-material.js';

export interface RedisServerOptions {
  /** `requirepass` (also used as `masterauth`). Kept out of argv, `url` and error messages. */
  password?: string;
  /** ACL users; `rules` default to '~* &* +@all on'. */
  users?: AclUser[];
  /**
   * The main port speaks TLS only (`--port 0 --tls-port P`), with `tls-auth-clients
   * optional`, using a generated CA and a server certificate for IP:127.0.0.1 / localhost.
   */
  tls?: boolean;
  /** With `tls`: serve a certificate whose only SAN is DNS:other.invalid (hostname checks fail). */
  tlsHostMismatch?: boolean;
  /** Also listen on a unix socket in the server's temp dir (`socketPath`). */
  unixSocket?: boolean;
  /** `--enable-debug-command yes` (default true). */
  enableDebug?: boolean;
  /** Extra server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  /** Default: a free port. */
  port?: number;
  /** Readiness bound (default 10 s). */
  readyTimeoutMs?: number;
}

/** Credentials for one `cliAs` call: no `username` means the default user, no `password` no AUTH. */
export interface CliAuth {
  username?: string;
  password?: string;
}

export interface RedisServer {
  /** '127.0.0.1' (the container host with the Docker fallback). */
  readonly host: string;
  readonly port: number;
  /** `[host, port]`, the shape of the client's `address` option. */
  readonly address: [string, number];
  /** 'redis://127.0.0.1:P' or 'rediss://127.0.0.1:P'; never contains the password. */
  readonly url: string;
  readonly socketPath?: string;
  readonly tls?: TlsMaterial;
  /** pid of the latest redis-server process; NaN with the Docker fallback. */
  readonly pid: number;
  readonly running: boolean;
  /** redis-cli against this server, authenticated with `password` when set; stdout trimmed. */
  cli(...args: string[]): Promise<string>;
  /** redis-cli as another user (`{}` for no AUTH at all). */
  cliAs(auth: CliAuth, ...args: string[]): Promise<string>;
  /** SIGTERM, SIGKILL after 3 s, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit (a crash); `restart()` still works afterwards. */
  kill(): Promise<void>;
  /** Start again on the same port, socket path and TLS material; resolves once ready. */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** The server log's last lines (passwords masked), handy in failing tests. */
  logTail(lines?: number): string;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface RedisSentinelOptions {
  /** Default 'mymaster'. */
  masterName?: string;
  /** Number of sentinels (default 3; quorum is min(2, n)). */
  sentinels?: number;
  /** Password of the master and the replica (`sentinel auth-pass` on the sentinels). */
  password?: string;
  /** `requirepass` on the sentinels themselves (and `sentinel sentinel-pass` between them). */
  sentinelPassword?: string;
  /** Bound for the whole setup to converge (default 30 s). */
  readyTimeoutMs?: number;
}

export interface RedisSentinelSetup {
  master: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  masterName: string;
  /** The sentinels' `[host, port]`, for the client's `addresses`. */
  addresses: [string, number][];
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
