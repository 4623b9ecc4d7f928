import { inspect } from 'node:util';
import { REDIS_UNAVAILABLE_MESSAGE } from './availability.js';
import { authConfig } from './server-config.js';
import type { CliAuth, RedisServer, RedisServerOptions } from './types.js';

/**
 * Fallback for machines without a redis-server binary but with Docker: `redis:7` through
 * testcontainers. testcontainers is imported dynamically, so it is only ever loaded here,
 * and it is optional for users of `nestjs-justredis/testing`. Its reaper (Ryuk) removes
 * containers left behind by a crashed run. Plain and password/ACL setups only.
 */
type Testcontainers = typeof import('testcontainers');
type StartedContainer = Awaited<ReturnType<InstanceType<Testcontainers['GenericContainer']>['start']>>;

async function loadTestcontainers(): Promise<Testcontainers | undefined> {
  try {
    return await import('testcontainers');
  } catch {
    return undefined;
  }
}

/** True when testcontainers is installed and finds a container runtime within `timeoutMs`. */
export async function dockerReachable(timeoutMs = 15_000): Promise<boolean> {
  const tc = await loadTestcontainers();
  if (!tc) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    });
    await Promise.race([tc.getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const CONFIG_PATH = '/justredis/redis.conf';
const UNSUPPORTED = 'with the Docker fallback (install redis-server to get it)';

class ContainerRedisServer implements RedisServer {
  readonly #container: StartedContainer;
  readonly #password: string | undefined;
  #stopping: Promise<void> | undefined;
  #running = true;
  readonly pid = NaN; // not a local process: process.kill(NaN) throws instead of signalling anything

  constructor(container: StartedContainer, password: string | undefined) {
    this.#container = container;
    this.#password = password;
  }

  get host(): string {
    return this.#container.getHost();
  }

  /** Docker may map a different host port after restart(); read it again afterwards. */
  get port(): number {
    return this.#container.getMappedPort(6379);
  }

  get address(): [string, number] {
    return [this.host, this.port];
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.#running;
  }

  cli(...args: string[]): Promise<string> {
    return this.#exec({ password: this.#password }, args);
  }

  cliAs(auth: CliAuth, ...args: string[]): Promise<string> {
    return this.#exec(auth, args);
  }

  // redis-cli inside the container: the host may not have one.
  async #exec(auth: CliAuth, args: string[]): Promise<string> {
    const argv = ['redis-cli', '-e', ...(auth.username !== undefined ? ['--user', auth.username] : []), ...args];
    const env: Record<string, string> = auth.password !== undefined ? { REDISCLI_AUTH: auth.password } : {};
    const result = await this.#container.exec(argv, { env });
    if (result.exitCode === 0) return result.stdout.trim();
    let message = `redis-cli ${args[0] ?? ''} in container failed (exit code ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`;
    if (auth.password) message = message.split(auth.password).join('***');
    throw new Error(message);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#container.stop().then(() => {
      this.#running = false;
    });
    return this.#stopping;
  }

  async kill(): Promise<void> {
    await this.#container.stop({ timeout: 0, remove: false });
    this.#running = false;
  }

  async restart(): Promise<void> {
    if (this.#stopping) throw new Error('restart() after stop(); use kill() instead');
    await this.#container.restart();
    this.#running = true;
  }

  pause(): void {
    throw new Error(`pause() is not supported ${UNSUPPORTED}`);
  }

  resume(): void {
    throw new Error(`resume() is not supported ${UNSUPPORTED}`);
  }

  logTail(): string {
    return '(server log not available with the Docker fallback)';
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  [inspect.custom](): string {
    return `RedisServer { url: '${this.url}', container: true, running: ${this.#running} }`;
  }
}

export async function startRedisContainer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (options.tls || options.unixSocket) throw new Error(`tls and unixSocket are not supported ${UNSUPPORTED}`);
  const tc = await loadTestcontainers();
  if (!tc) throw new Error(REDIS_UNAVAILABLE_MESSAGE);
  // Secrets go in a config file copied into the container, not in its command line.
  const config = `${authConfig(options.password, options.users).join('\n')}\n`;
  const command = ['redis-server', CONFIG_PATH, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  if (options.enableDebug ?? true) command.push('--enable-debug-command', 'yes');
  command.push(...(options.args ?? []));
  const container = await new tc.GenericContainer('redis:7')
    .withCopyContentToContainer([{ content: config, target: CONFIG_PATH, mode: 0o644 }])
    .withCommand(command)
    .withExposedPorts(options.port !== undefined ? { container: 6379, host: options.port } : 6379)
    .withWaitStrategy(tc.Wait.forLogMessage('Ready to accept connections'))
    .withStartupTimeout(options.readyTimeoutMs ?? 120_000) // the first run pulls the image
    .start();
  return new ContainerRedisServer(container, options.password);
}
