import net from 'node:net';
import { once } from 'node:events';

export interface FaultProxyOptions {
  /** The real server behind the proxy. */
  target: readonly [host: string, port: number];
  /** Where the proxy listens (default '127.0.0.1'); the port is always a free one. */
  host?: string;
}

/**
 * A TCP proxy on a free port in front of a real server, with faults on demand: cut every
 * connection, go silent, add latency, drip bytes one at a time, refuse new connections.
 * Node built-ins only; `close()` leaves no socket or timer behind.
 *
 * Bytes are never dropped or reordered inside a live connection (TCP does not do that
 * either): silence holds them until it ends, a cut loses what was still held.
 */
export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** `[host, port]`, the shape of the client's `address` option. */
  readonly address: [string, number];
  /** Every incoming connection the proxy accepted, forwarded or refused: the client's connection attempts. */
  readonly connections: number;
  /** Of `connections`, those closed at once because the proxy was refusing. */
  readonly refused: number;
  /** Client connections forwarded and still open. */
  readonly open: number;
  /** Resets every open connection (the client sees ECONNRESET, the server a close); bytes held are lost. */
  cutAll(): void;
  /** `true`: nothing passes either way, sockets stay open and bytes are held; `false`: held bytes flow again. */
  blackhole(on: boolean): void;
  /** Delays every chunk by `ms` in both directions (0 for none). Applies to chunks read from now on. */
  latency(ms: number): void;
  /** `true`: forward one byte per write, one write per event-loop turn. */
  drip(on: boolean): void;
  /** `true`/`false`: refuse (accept, then reset at once) new connections or stop refusing; a number: refuse for that many ms. */
  refuse(on: number | boolean): void;
  /** Closes the listener and every connection; resolves once the listener is closed. */
  close(): Promise<void>;
}

/** Bytes queued in one direction before the proxy stops reading from the source. */
const HIGH_WATER = 1024 * 1024;

interface Held {
  chunk: Buffer;
  at: number;
}

/** One direction of one connection: reads `src`, holds/delays/drips, writes `dst`. */
class Lane {
  private readonly queue: Held[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private waitingDrain = false;
  private stopped = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly state: ProxyState,
  ) {
    src.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      this.queue.push({ chunk, at: Date.now() + state.latencyMs });
      this.queued += chunk.length;
      if (this.queued > HIGH_WATER) src.pause();
      this.pump();
    });
    dst.on('drain', () => {
      if (!this.waitingDrain) return;
      this.waitingDrain = false;
      this.pump();
    });
  }

  /** Writes what is due; re-arms itself for what is not. */
  pump(): void {
    if (this.stopped || this.timer !== null || this.immediate !== null || this.waitingDrain) return;
    while (this.queue.length > 0) {
      if (this.state.silent) return; // blackhole(false) pumps again
      const head = this.queue[0];
      const wait = head.at - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      let piece: Buffer;
      if (this.state.dripping && head.chunk.length > 1) {
        piece = head.chunk.subarray(0, 1);
        head.chunk = head.chunk.subarray(1);
      } else {
        piece = head.chunk;
        this.queue.shift();
      }
      this.queued -= piece.length;
      if (this.queued <= HIGH_WATER / 2 && this.src.isPaused()) this.src.resume();
      const ok = this.dst.write(piece);
      if (this.state.dripping) {
        this.immediate = setImmediate(() => {
          this.immediate = null;
          this.pump();
        });
        return;
      }
      if (!ok) {
        this.waitingDrain = true;
        return;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.queue.length = 0;
    this.queued = 0;
  }
}

interface ProxyState {
  silent: boolean;
  dripping: boolean;
  latencyMs: number;
}

class Pair {
  readonly lanes: Lane[];
  private done = false;

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    state: ProxyState,
    private readonly onEnd: (pair: Pair) => void,
  ) {
    this.lanes = [new Lane(client, upstream, state), new Lane(upstream, client, state)];
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.end(false));
      socket.on('close', () => this.end(false));
      // A half-close on one side ends the whole pair: Redis never half-closes.
      socket.on('end', () => this.end(false));
    }
  }

  pump(): void {
    for (const lane of this.lanes) lane.pump();
  }

  /** `reset`: RST to the client (a cut), otherwise a plain close. */
  end(reset: boolean): void {
    if (this.done) return;
    this.done = true;
    for (const lane of this.lanes) lane.stop();
    if (reset && !this.client.destroyed) this.client.resetAndDestroy();
    else this.client.destroy();
    this.upstream.destroy();
    this.onEnd(this);
  }
}

/** Starts a fault proxy in front of `target`; resolves once it listens. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const [targetHost, targetPort] = options.target;
  const host = options.host ?? '127.0.0.1';
  const state: ProxyState = { silent: false, dripping: false, latencyMs: 0 };
  const pairs = new Set<Pair>();
  /** Sockets accepted but not paired yet (upstream still connecting). */
  const loose = new Set<net.Socket>();
  let connections = 0;
  let refused = 0;
  let refusing = false;
  let refuseTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    connections++;
    client.on('error', () => {});
    if (refusing || closed) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    loose.add(client);
    const upstream = net.connect({ host: targetHost, port: targetPort });
    upstream.on('error', () => {});
    loose.add(upstream);
    const drop = () => {
      loose.delete(client);
      loose.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('error', drop);
    upstream.once('connect', () => {
      client.removeListener('close', drop);
      upstream.removeListener('error', drop);
      loose.delete(client);
      loose.delete(upstream);
      if (client.destroyed || closed) {
        upstream.destroy();
        return;
      }
      const pair = new Pair(client, upstream, state, (p) => pairs.delete(p));
      pairs.add(pair);
      client.resume();
    });
  });
  server.on('error', () => {});
  server.listen({ port: 0, host });
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;

  const stopRefusing = () => {
    if (refuseTimer !== null) clearTimeout(refuseTimer);
    refuseTimer = null;
    refusing = false;
  };

  return {
    host,
    port,
    address: [host, port],
    get connections() {
      return connections;
    },
    get refused() {
      return refused;
    },
    get open() {
      return pairs.size;
    },
    cutAll() {
      for (const s of [...loose]) s.resetAndDestroy();
      loose.clear();
      for (const pair of [...pairs]) pair.end(true);
    },
    blackhole(on: boolean) {
      state.silent = on;
      if (!on) for (const pair of pairs) pair.pump();
    },
    latency(ms: number) {
      if (typeof ms !== 'number' || !(ms >= 0)) throw new RangeError('latency() takes a number of ms >= 0');
      state.latencyMs = ms;
    },
    drip(on: boolean) {
      state.dripping = on;
      if (!on) for (const pair of pairs) pair.pump();
    },
    refuse(on: number | boolean) {
      stopRefusing();
      if (on === false || on === 0) return;
      refusing = true;
      if (typeof on === 'number') {
        if (!(on > 0)) throw new RangeError('refuse() takes a boolean or a number of ms > 0');
        refuseTimer = setTimeout(stopRefusing, on);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      stopRefusing();
      const listening = once(server, 'close');
      server.close();
      for (const s of loose) s.destroy();
      loose.clear();
      for (const pair of [...pairs]) pair.end(false);
      await listening;
    },
  };
}
