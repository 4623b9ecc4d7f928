/**
 * A TCP proxy in front of a real server that delays, on the connections carrying
 * client-side-cache invalidations only, what the server sends — so a test can make
 * invalidations arrive late, as a loaded network does, while everything else flows at once.
 *
 * A connection becomes a carrier once the client sends one of `markers` on it: under RESP2
 * the invalidation connection subscribes to `__redis__:invalidate`; under RESP3
 * invalidations come on each tracked connection, which sends `TRACKING` (its replies are
 * delayed as well: the protocol orders them with the invalidations). Under RESP2 the tracked
 * connections can be named too (`TRACKING`), so that replies and invalidations are late by
 * different amounts. Bytes keep their order on a connection;
 * each chunk waits `delayMs()` more than it arrived, never less than the one before it.
 * The fault proxy (lib/testing) delays every connection alike, which cannot make an
 * invalidation late relative to a reply.
 */
import net from 'node:net';
import { once } from 'node:events';

export interface InvalidationDelayProxy {
  readonly address: [string, number];
  /** The delay of the next chunk on a carrier (ms); change it at any time. */
  delayMs: () => number;
  /** Resolves once no delayed byte is held. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

interface Held {
  readonly chunk: Buffer;
  readonly at: number;
}

export async function startInvalidationDelayProxy(target: readonly [string, number], markers: readonly string[]): Promise<InvalidationDelayProxy> {
  const sockets = new Set<net.Socket>();
  const lanes = new Set<{ queue: Held[]; timer: NodeJS.Timeout | null }>();
  let waiters: (() => void)[] = [];
  const settleWaiters = () => {
    for (const lane of lanes) if (lane.queue.length > 0) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target[1], target[0]);
    sockets.add(client).add(upstream);
    const lane = { queue: [] as Held[], timer: null as NodeJS.Timeout | null };
    lanes.add(lane);
    let carrier = false;
    let last = 0;
    const pump = () => {
      lane.timer = null;
      const now = Date.now();
      while (lane.queue.length > 0 && lane.queue[0].at <= now) client.write(lane.queue.shift()!.chunk);
      if (lane.queue.length > 0) lane.timer = setTimeout(pump, lane.queue[0].at - now);
      else settleWaiters();
    };
    client.on('data', (chunk: Buffer) => {
      if (!carrier && markers.some((marker) => chunk.includes(marker))) carrier = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!carrier) {
        client.write(chunk);
        return;
      }
      last = Math.max(last, Date.now() + proxy.delayMs());
      lane.queue.push({ chunk, at: last });
      if (lane.timer === null) lane.timer = setTimeout(pump, Math.max(0, last - Date.now()));
    });
    const end = () => {
      if (lane.timer !== null) clearTimeout(lane.timer);
      lane.queue.length = 0;
      lanes.delete(lane);
      settleWaiters();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;

  const proxy: InvalidationDelayProxy = {
    address: ['127.0.0.1', port],
    delayMs: () => 0,
    drained() {
      return new Promise((resolve) => {
        waiters.push(resolve);
        settleWaiters();
      });
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  return proxy;
}
