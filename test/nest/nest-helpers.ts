import type { LoggerService } from '@nestjs/common';
import { Redis } from '../../lib/core/index.js';

export { eventually } from '../helpers.js';

export interface LogEntry {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context: string | undefined;
}

/** Collects what Nest's `Logger` prints, so tests can look for (and count) lines. */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  #waiters: { test: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.#push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.#push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.#push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.#push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.#push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.#push('fatal', message, rest);
  }

  /** Entries whose message matches. */
  find(level: LogEntry['level'], pattern: RegExp): LogEntry[] {
    return this.entries.filter((e) => e.level === level && pattern.test(e.message));
  }

  /** Resolves with the first entry (already logged or to come) that matches. */
  waitFor(level: LogEntry['level'], pattern: RegExp): Promise<LogEntry> {
    const test = (e: LogEntry) => e.level === level && pattern.test(e.message);
    const found = this.entries.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  /** Everything logged, for checking that no secret leaked. */
  text(): string {
    return this.entries.map((e) => `${e.level} ${e.context ?? ''} ${e.message}`).join('\n');
  }

  #push(level: LogEntry['level'], message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const entry: LogEntry = { level, message: message instanceof Error ? message.message : String(message), context };
    this.entries.push(entry);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(entry)) return true;
      w.resolve(entry);
      return false;
    });
  }
}

/** A plain client to look at the server from outside the application. */
export function adminClient(port: number): Redis {
  return new Redis({ address: ['127.0.0.1', port], decoder: 'utf8' });
}

/** Client connections the server has, other than `admin`'s own. */
export async function clientCount(admin: Redis): Promise<number> {
  const list = (await admin.call('client', 'list')) as string;
  return list.split('\n').filter((line) => line.trim() !== '').length - 1;
}

/** Subscribers of a channel, as PUBSUB NUMSUB reports them. */
export async function numsub(admin: Redis, channel: string): Promise<number> {
  const reply = (await admin.call('pubsub', 'numsub', channel)) as [string, number];
  return reply[1];
}

/** A deferred whose promise resolves after `count` calls of `hit`. */
export function counter(count: number): { hit(): void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let n = 0;
  return {
    hit() {
      if (++n === count) resolve();
    },
    done,
  };
}

/** A TCP port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Connections the server lists under a client name (`clientName` option → CLIENT SETNAME). */
export async function namedConnections(admin: Redis, clientName: string): Promise<number> {
  const list = (await admin.call('client', 'list')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${clientName} `)).length;
}

/** Rejects with `what` if `promise` has not settled after `ms`: a bound on a wait, not a speed check. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve function, for handlers the test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
