import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onProcessExit } from './cleanup.js';
import { waitUntilReady } from './probe.js';
import {
  defaultRedisServerBinary,
  RedisProcessError,
  type RedisProcess,
  type RedisProcessOptions,
} from './process-types.js';

// Only logged once the listeners are bound (7.0 – 8.x, standalone/cluster and sentinel).
const READY_MARKER = /Ready to accept connections|Sentinel ID is/;
const PORT_IN_USE = /Address already in use/;
export const START_ATTEMPTS = 5;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * One redis-server: its child process (replaced by restart()), its temp dir and its
 * registration with the exit cleanup. Created by `startRedisProcess`.
 */
export class ManagedRedisProcess implements RedisProcess {
  private child: ChildProcess | undefined;
  private alive = false;
  private exitReason = '';
  private exited: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private lastPid = NaN;
  private logOffset = 0;
  private errOffset = 0;
  private readonly unregister: () => void;
  // #private: holds `secrets`, which util.inspect / Jest diffs must never print.
  readonly #options: RedisProcessOptions;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly argv: string[],
    options: RedisProcessOptions,
  ) {
    this.#options = options;
    this.unregister = onProcessExit(() => {
      if (this.alive) this.child?.kill('SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get pid(): number {
    return this.lastPid;
  }

  get running(): boolean {
    return this.alive;
  }

  private get label(): string {
    return `${this.#options.name ?? 'redis-server'} on port ${this.port}`;
  }

  /** Spawns the child and resolves once it answers PING; on failure it is killed again. */
  async launch(): Promise<void> {
    const logFile = join(this.dir, 'redis.log');
    const errFile = join(this.dir, 'stderr.log');
    this.logOffset = fileSize(logFile);
    this.errOffset = fileSize(errFile);
    // stderr goes to a file, not a pipe: config errors are printed there before logging is
    // set up, and a file leaves no handle in this process.
    const errFd = openSync(errFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.#options.binary ?? defaultRedisServerBinary(), this.argv, {
        cwd: this.dir,
        stdio: ['ignore', 'ignore', errFd],
      });
    } finally {
      closeSync(errFd); // the child has its own copy
    }
    this.child = child;
    this.alive = true;
    this.lastPid = child.pid ?? NaN;
    this.exited = new Promise((resolve) => {
      const done = (reason: string) => {
        this.alive = false;
        this.exitReason = reason;
        resolve();
      };
      child.once('exit', (code, signal) => done(signal ? `signal ${signal}` : `exit code ${code}`));
      // 'on', not 'once': a later failed kill() also emits 'error', which must not throw.
      child.on('error', (error) => child.pid === undefined && done(error.message)); // ENOENT...
    });
    try {
      await waitUntilReady(
        { host: '127.0.0.1', port: this.port, tls: this.#options.tls },
        {
          timeoutMs: this.#options.readyTimeoutMs ?? 10_000,
          failed: () => (this.alive ? undefined : this.startError(`exited (${this.exitReason}) before it was ready`)),
          accept: () => this.alive && READY_MARKER.test(this.newLog()),
          timeoutError: (ms) => this.startError(`did not answer PING within ${ms} ms`),
        },
      );
    } catch (error) {
      await this.kill();
      throw error;
    }
    // Don't let a forgotten server keep the test process alive: the exit hook kills it.
    child.unref();
  }

  private newLog(): string {
    const read = (path: string, offset: number) => {
      try {
        return readFileSync(path).subarray(offset).toString('utf8');
      } catch {
        return '';
      }
    };
    return read(join(this.dir, 'stderr.log'), this.errOffset) + read(join(this.dir, 'redis.log'), this.logOffset);
  }

  logTail(lines = 20): string {
    let text = this.newLog().trimEnd().split('\n').slice(-lines).join('\n');
    for (const secret of this.#options.secrets ?? []) if (secret) text = text.split(secret).join('***');
    return text;
  }

  private startError(what: string): RedisProcessError {
    const portInUse = PORT_IN_USE.test(this.newLog());
    const tail = this.logTail();
    return new RedisProcessError(`${this.label} ${what}${tail ? `\n--- server log (tail) ---\n${tail}` : ''}`, portInUse);
  }

  /** Sends `signal` (escalating to SIGKILL after 3 s) and waits for the exit. */
  private async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    child.ref(); // keep the event loop alive while we wait for the exit event
    child.kill(signal);
    if (signal === 'SIGTERM') child.kill('SIGCONT'); // a paused server handles SIGTERM only once resumed
    const timer = signal === 'SIGTERM' ? setTimeout(() => child.kill('SIGKILL'), 3_000) : undefined;
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.terminate('SIGTERM');
      this.unregister();
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  kill(): Promise<void> {
    return this.terminate('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.stopping) throw new Error(`${this.label} was stopped; restart() needs kill() instead`);
    await this.terminate('SIGTERM');
    // Same port: if another process took it meanwhile, give it a few chances to go away.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.launch();
      } catch (error) {
        if (!(error instanceof RedisProcessError && error.portInUse) || attempt >= START_ATTEMPTS) throw error;
        await sleep(200);
      }
    }
  }

  private signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (!this.alive || !this.child) throw new Error(`${this.label} is not running`);
    this.child.kill(signal);
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }
}
