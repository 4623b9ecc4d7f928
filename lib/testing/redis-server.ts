import { join } from 'node:path';
import { inspect } from 'node:util';
import { redisServerAvailable, REDIS_UNAVAILABLE_MESSAGE } from './availability.js';
import { runRedisCli } from './redis-cli.js';
import { startRedisProcess, type RedisProcess } from './redis-process.js';
import { authConfig } from './server-config.js';
import { getTlsMaterial, type TlsMaterial } from './tls-material.js';
import type { CliAuth, RedisServer, RedisServerOptions } from './types.js';

/** A redis-server child process seen through the `RedisServer` interface. */
class LocalRedisServer implements RedisServer {
  readonly host = '127.0.0.1';
  // #private: util.inspect / Jest diffs never print them (the password in particular).
  readonly #proc: RedisProcess;
  readonly #password: string | undefined;

  constructor(
    proc: RedisProcess,
    password: string | undefined,
    readonly tls: TlsMaterial | undefined,
    readonly socketPath: string | undefined,
  ) {
    this.#proc = proc;
    this.#password = password;
  }

  get port(): number {
    return this.#proc.port;
  }

  get address(): [string, number] {
    return [this.host, this.port];
  }

  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.#proc.pid;
  }

  get running(): boolean {
    return this.#proc.running;
  }

  cli(...args: string[]): Promise<string> {
    return runRedisCli({ host: this.host, port: this.port, tls: this.tls, password: this.#password }, args);
  }

  cliAs(auth: CliAuth, ...args: string[]): Promise<string> {
    return runRedisCli({ host: this.host, port: this.port, tls: this.tls, ...auth }, args);
  }

  stop(): Promise<void> {
    return this.#proc.stop();
  }

  kill(): Promise<void> {
    return this.#proc.kill();
  }

  restart(): Promise<void> {
    return this.#proc.restart();
  }

  pause(): void {
    this.#proc.pause();
  }

  resume(): void {
    this.#proc.resume();
  }

  logTail(lines?: number): string {
    return this.#proc.logTail(lines);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  [inspect.custom](): string {
    return `RedisServer { url: '${this.url}', pid: ${this.pid}, running: ${this.running} }`;
  }
}

/** What sentinel.ts (and later cluster.ts) add on top of the user-facing options. */
export interface LocalServerExtras {
  /** Extra redis.conf lines (may hold secrets). */
  config?: string[];
  /** Extra arguments before `options.args`, e.g. ['--sentinel']. */
  args?: string[];
  /** For messages, e.g. 'sentinel'. */
  name?: string;
}

/** Starts a redis-server binary from PATH (or `$REDIS_SERVER_BIN`); no Docker fallback. */
export async function startLocalRedisServer(
  options: RedisServerOptions = {},
  extras: LocalServerExtras = {},
): Promise<RedisServer> {
  const tls = options.tls ? await getTlsMaterial({ hostMismatch: options.tlsHostMismatch }) : undefined;
  const secrets = [options.password, ...(options.users ?? []).map((user) => user.password)].filter(
    (secret): secret is string => !!secret,
  );
  const proc = await startRedisProcess({
    name: extras.name,
    port: options.port,
    config: [...authConfig(options.password, options.users), ...(extras.config ?? [])].join('\n'),
    portArgs: tls ? (port) => ['--port', '0', '--tls-port', String(port)] : undefined,
    // Readiness only needs *a* reply: trust the CA but skip the hostname check, so the
    // host-mismatch certificate works too.
    tls: tls ? { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey, checkServerIdentity: () => undefined } : undefined,
    enableDebug: options.enableDebug,
    readyTimeoutMs: options.readyTimeoutMs,
    secrets,
    args: ({ dir }) => [
      ...(tls
        ? ['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'optional']
        : []),
      ...(options.unixSocket ? ['--unixsocket', join(dir, 'redis.sock'), '--unixsocketperm', '700'] : []),
      ...(extras.args ?? []),
      ...(options.args ?? []),
    ],
  });
  return new LocalRedisServer(proc, options.password, tls, options.unixSocket ? join(proc.dir, 'redis.sock') : undefined);
}

/**
 * Starts a throwaway Redis server: the local `redis-server` binary when there is one,
 * otherwise a `redis:7` container through testcontainers (plain and password setups only).
 * Always `await server.stop()` (or `await using server = ...`) when done.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const how = await redisServerAvailable();
  if (how === 'binary') return startLocalRedisServer(options);
  if (how === 'docker') {
    const { startRedisContainer } = await import('./containers.js');
    return startRedisContainer(options);
  }
  throw new Error(REDIS_UNAVAILABLE_MESSAGE);
}
