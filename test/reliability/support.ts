/**
 * Shared by the reliability tests: a fake server, a load generator that checks every
 * reply it gets, and a place to print the figures docs/RELIABILITY.md quotes.
 */
import net from 'node:net';
import { once } from 'node:events';
import { CommunicationError, PipelinedExceptions, type Redis } from '../../lib/core/index.js';

/** Prints a figure line when RELIABILITY_REPORT=1 (how docs/RELIABILITY.md was filled in). */
export function report(name: string, figures: Record<string, unknown>): void {
  if (process.env.RELIABILITY_REPORT === '1') process.stdout.write(`[reliability] ${name} ${JSON.stringify(figures)}\n`);
}

export interface FakeServer {
  readonly port: number;
  readonly address: [string, number];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes received on all connections. */
  readonly bytes: number;
  /** Connections still open (server side). */
  readonly open: number;
  /** Resolves when the `n`th connection (1-based) has closed. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A server that is not Redis: `onData` decides what every connection gets back.
 * Every socket is tracked and destroyed by `close()`.
 */
export async function fakeServer(onData: (socket: net.Socket, data: Buffer, index: number) => void): Promise<FakeServer> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const closedAt = new Map<number, Promise<void>>();
  const srv = net.createServer((socket) => {
    const index = ++connections;
    sockets.add(socket);
    closedAt.set(index, new Promise((resolve) => socket.once('close', () => resolve())));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
      onData(socket, d, index);
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    address: ['127.0.0.1', port],
    get connections() {
      return connections;
    },
    get bytes() {
      return bytes;
    },
    get open() {
      return sockets.size;
    },
    closed(n: number) {
      const p = closedAt.get(n);
      if (p === undefined) throw new Error(`connection ${n} never came`);
      return p;
    },
    async close() {
      for (const s of sockets) s.destroy();
      const done = once(srv, 'close');
      srv.close();
      await done;
    },
  };
}

/** Races `promise` against a generous bound so a hang fails the test with a message instead of a Jest timeout. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Concurrent callers hammering one client with INCRs (acknowledged increments are
 * counted), tagged ECHOs (a reply must be the caller's own tag) and pipelines mixing
 * both. Every failure must be a CommunicationError; anything else is recorded as
 * unexpected. `progress(n)` resolves once `n` more calls succeeded.
 */
export class Load {
  acked = 0;
  incrFailed = 0;
  ok = 0;
  failed = 0;
  readonly incrReplies = new Set<number>();
  readonly wrong: string[] = [];
  readonly unexpected: unknown[] = [];
  readonly failureCodes = new Map<string, number>();
  #stop = false;
  #workers: Promise<void>[] = [];
  #waiters: { target: number; resolve: () => void }[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly counterKey: string,
    private readonly options: { workers: number; pipelines?: boolean; allowed?: (err: unknown) => boolean },
  ) {}

  start(): this {
    for (let w = 0; w < this.options.workers; w++) this.#workers.push(this.#run(w));
    return this;
  }

  /** Resolves once `n` more calls (from now) succeeded. */
  progress(n: number): Promise<void> {
    const target = this.ok + n;
    return new Promise((resolve) => this.#waiters.push({ target, resolve }));
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#workers);
  }

  #succeeded(): void {
    this.ok++;
    if (this.#waiters.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => (this.ok >= w.target ? (w.resolve(), false) : true));
  }

  #failure(err: unknown): void {
    this.failed++;
    const allowed = this.options.allowed ?? ((e: unknown) => e instanceof CommunicationError);
    if (!allowed(err)) this.unexpected.push(err);
    const code = (err as { code?: string }).code ?? 'none';
    this.failureCodes.set(code, (this.failureCodes.get(code) ?? 0) + 1);
  }

  #incrAck(value: unknown): void {
    if (typeof value !== 'number' || this.incrReplies.has(value)) this.wrong.push(`INCR replied ${String(value)}`);
    this.incrReplies.add(value as number);
    this.acked++;
  }

  async #run(w: number): Promise<void> {
    for (let i = 0; !this.#stop; i++) {
      const tag = `w${w}-${i}-${'x'.repeat(i % 7)}`;
      const kind = this.options.pipelines === false ? i % 2 : i % 3;
      try {
        if (kind === 0) {
          this.#incrAck(await this.redis.call('incr', this.counterKey));
        } else if (kind === 1) {
          const reply = await this.redis.call('echo', tag);
          if (reply !== tag) this.wrong.push(`ECHO ${tag} got ${String(reply)}`);
        } else {
          let results: unknown[];
          try {
            results = await this.redis.pipeline([
              ['incr', this.counterKey],
              ['echo', tag],
            ]);
          } catch (err) {
            if (!(err instanceof PipelinedExceptions)) throw err;
            results = err.results;
          }
          const [incr, echo] = results;
          if (incr instanceof Error) {
            this.incrFailed++;
            this.#failure(incr);
          } else this.#incrAck(incr);
          if (echo instanceof Error) this.#failure(echo);
          else if (echo !== tag) this.wrong.push(`pipelined ECHO ${tag} got ${String(echo)}`);
          if (incr instanceof Error || echo instanceof Error) continue;
        }
        this.#succeeded();
      } catch (err) {
        if (kind !== 1) this.incrFailed++;
        this.#failure(err);
        // A caller that retries at once is the worst case for reconnect storms; yield only
        // to the event loop so an outage cannot starve the timers of everyone else.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
}
