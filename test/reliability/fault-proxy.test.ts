/**
 * The fault proxy itself, with raw sockets (no client under test): it forwards, delays,
 * drips, holds, refuses and cuts as told, and leaves nothing behind when closed.
 */
import net from 'node:net';
import { once } from 'node:events';
import { startRedisServer, startFaultProxy, type RedisServer, type FaultProxy } from '../../lib/testing/index.js';
import { within } from './support.js';

let server: RedisServer;
let proxy: FaultProxy;

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: [server.host, server.port] });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A raw connection through the proxy: `ask` writes an inline command and resolves with the reply once `length` bytes came. */
async function rawClient() {
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  let error = '';
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? 'error'));
  // A refused connection may be reset before Node reports it connected.
  await new Promise((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  let buffered = '';
  let chunks = 0;
  let waiter: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1');
    chunks++;
    waiter?.();
  });
  const closed = new Promise<string>((resolve) => {
    if (socket.destroyed) resolve(error || 'close');
    else socket.once('close', () => resolve(error || 'close'));
  });
  return {
    socket,
    closed,
    async ask(line: string, length: number): Promise<{ reply: string; chunks: number }> {
      buffered = '';
      chunks = 0;
      socket.write(`${line}\r\n`);
      while (buffered.length < length) await new Promise<void>((resolve) => (waiter = resolve));
      waiter = null;
      return { reply: buffered, chunks };
    },
  };
}

it('forwards, adds latency, and drips one byte per write', async () => {
  const c = await rawClient();
  expect((await c.ask('PING', 7)).reply).toBe('+PONG\r\n');
  proxy.latency(100);
  const started = Date.now();
  expect((await c.ask('ECHO hello', 11)).reply).toBe('$5\r\nhello\r\n');
  expect(Date.now() - started).toBeGreaterThanOrEqual(190); // 100 ms each way
  proxy.latency(0);
  proxy.drip(true);
  const dripped = await c.ask('ECHO dripping-bytes', 21);
  expect(dripped.reply).toBe('$14\r\ndripping-bytes\r\n');
  proxy.drip(false);
  c.socket.destroy();
});

it('holds everything while blackholed and delivers it afterwards', async () => {
  const c = await rawClient();
  proxy.blackhole(true);
  let answered = false;
  const reply = c.ask('ECHO held', 10).then((r) => ((answered = true), r));
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(answered).toBe(false);
  proxy.blackhole(false);
  expect((await within(reply, 10_000, 'held reply')).reply).toBe('$4\r\nheld\r\n');
  c.socket.destroy();
});

it('refuses new connections (counted) while told to, for a while, and cuts open ones', async () => {
  const open = await rawClient();
  const before = { connections: proxy.connections, refused: proxy.refused };
  proxy.refuse(true);
  const refused = await rawClient();
  expect(await within(refused.closed, 10_000, 'refused connection')).toBe('ECONNRESET');
  proxy.refuse(300);
  const alsoRefused = await rawClient();
  expect(await within(alsoRefused.closed, 10_000, 'refused connection')).toBe('ECONNRESET');
  expect(proxy.refused - before.refused).toBe(2);
  await new Promise((resolve) => setTimeout(resolve, 350));
  const accepted = await rawClient();
  expect((await accepted.ask('PING', 7)).reply).toBe('+PONG\r\n');
  expect(proxy.connections - before.connections).toBe(3);
  expect(proxy.open).toBeGreaterThanOrEqual(2);
  proxy.cutAll();
  expect(await within(open.closed, 10_000, 'cut')).toBe('ECONNRESET');
  expect(await within(accepted.closed, 10_000, 'cut')).toBe('ECONNRESET');
  expect(proxy.open).toBe(0);
});

it('leaves no socket or timer behind when closed', async () => {
  const count = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout').length;
  await new Promise((resolve) => setTimeout(resolve, 50)); // earlier tests' sockets finish closing
  const before = count();
  const p = await startFaultProxy({ target: [server.host, server.port] });
  const socket = net.connect({ host: p.host, port: p.port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  p.latency(50);
  p.refuse(10_000);
  socket.write('PING\r\n');
  const socketClosed = new Promise((resolve) => socket.once('close', resolve));
  await p.close();
  await socketClosed;
  await new Promise((resolve) => setImmediate(resolve));
  expect(p.open).toBe(0);
  expect(count()).toBeLessThanOrEqual(before);
});
