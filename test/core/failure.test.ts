import net from 'node:net';
import { once } from 'node:events';
import { Redis, CommunicationError, ProtocolError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

describe('a lost server', () => {
  const server = useRedisServer();

  it('fails calls in flight, never mixes replies, and reconnects on the next call', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8', connectRetry: 0 });
    const disconnected = new Promise((resolve) => r.on('disconnect', resolve));
    expect(await r.call('ping')).toBe('PONG');
    const calls = Array.from({ length: 500 }, (_, i) => r.call('echo', `tag-${i}`));
    await server.kill();
    const settled = await Promise.allSettled(calls);
    let failed = 0;
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') expect(s.value).toBe(`tag-${i}`);
      else {
        failed++;
        expect(s.reason).toBeInstanceOf(CommunicationError);
      }
    });
    expect(failed).toBeGreaterThan(0);
    await disconnected;
    await expect(r.call('ping')).rejects.toThrow(CommunicationError);
    await server.restart();
    const reconnected = new Promise((resolve) => r.on('reconnect', resolve));
    expect(await r.call('echo', 'back')).toBe('back');
    await reconnected;
    await r.close();
  });

  it('fails calls on a silent server with socketTimeout, then recovers', async () => {
    const r = new Redis({ address: [server.host, server.port], decoder: 'utf8', socketTimeout: 150 });
    expect(await r.call('ping')).toBe('PONG');
    server.pause();
    try {
      const err = (await r.call('ping').catch((e: unknown) => e)) as CommunicationError;
      expect(err).toBeInstanceOf(CommunicationError);
      expect(err.code).toBe('ERR_SOCKET_TIMEOUT');
    } finally {
      server.resume();
    }
    expect(await r.call('echo', 'after')).toBe('after');
    await r.close();
  });
});

/** A fake server: what a real one cannot do (bad bytes, silence). */
async function fakeServer(onData: (socket: net.Socket, data: Buffer) => void): Promise<{ port: number; close(): Promise<void>; connections: number }> {
  const state = { connections: 0 };
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (d) => onData(socket, d));
    socket.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    get connections() {
      return state.connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      srv.close();
      await once(srv, 'close');
    },
  };
}

describe('a hostile server', () => {
  it('bad bytes give a ProtocolError and a discarded connection; the next call reconnects', async () => {
    let sendGarbage = true;
    const fake = await fakeServer((socket, data) => {
      const text = data.toString();
      if (sendGarbage && /get/i.test(text)) {
        sendGarbage = false;
        socket.write('?garbage\r\n');
      } else {
        const count = (text.match(/\*\d+\r\n/g) ?? []).length;
        socket.write('+OK\r\n'.repeat(count));
      }
    });
    const r = new Redis({ address: ['127.0.0.1', fake.port], poolFactory: 'pool', decoder: 'utf8' });
    const err = await r.call('get', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(await r.call('set', 'x', '1')).toBe('OK');
    expect(fake.connections).toBe(2);
    await r.close();
    await fake.close();
  });

  it('a reply nobody asked for is a ProtocolError, not a reply to the next caller', async () => {
    const fake = await fakeServer((socket) => socket.write('+FIRST\r\n+UNASKED\r\n'));
    const r = new Redis({ address: ['127.0.0.1', fake.port], poolFactory: 'pool', decoder: 'utf8' });
    const disconnected = new Promise<{ error?: Error }>((resolve) => r.on('disconnect', resolve));
    expect(await r.call('ping')).toBe('FIRST');
    const { error } = await disconnected;
    expect(error).toBeInstanceOf(ProtocolError);
    await r.close();
    await fake.close();
  });

  it('connectTimeout bounds a server that accepts but never answers the handshake', async () => {
    const fake = await fakeServer(() => {});
    const r = new Redis({ address: ['127.0.0.1', fake.port], poolFactory: 'pool', clientName: 'x', connectTimeout: 100, connectRetry: 1 });
    const err = (await r.call('ping').catch((e: unknown) => e)) as CommunicationError;
    expect(err).toBeInstanceOf(CommunicationError);
    expect(err.message).toMatch(/timed out/);
    expect(fake.connections).toBe(2);
    await r.close();
    await fake.close();
  });
});
