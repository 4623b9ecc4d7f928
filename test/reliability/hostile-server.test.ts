/**
 * Servers that are not Redis, or a Redis gone mad: garbage type bytes, malformed and
 * negative lengths, a 99 GB bulk, a million nested arrays, truncated frames and random
 * bytes. Each must end as a ProtocolError (a truncated frame: a socket timeout, or a
 * CommunicationError when the server hangs up) and a discarded connection, with no
 * uncaught exception, no stack overflow and bounded memory.
 *
 * Fixed cases and 300 property runs go through real sockets against a fake `net` server;
 * 10,000 more property runs drive a RedisConnection over an in-memory socket, which is the
 * same code minus the kernel, at a fraction of the cost.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { Redis, CommunicationError, ProtocolError, ReplyError, RedisError } from '../../lib/core/index.js';
import { RedisConnection } from '../../lib/core/transport/redis-connection.js';
import { RespDecoder } from '../../lib/core/resp/decoder.js';
import { pendingCall } from '../../lib/core/transport/pending.js';
import { fakeServer, report, within, type FakeServer } from './support.js';

const UTF8 = { decoder: 'utf8' as const, attributes: false };
const MB = 1024 * 1024;

// Jest fails a test on an uncaught exception by itself; this spy is the belt to its braces
// (it sees what reaches process listeners outside Jest's handler).
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  expect(uncaught).toEqual([]);
});

// --- the reference: what the decoder alone makes of some bytes --------------------------

type Expected = { kind: 'reply'; value: unknown } | { kind: 'protocol' } | { kind: 'incomplete' };

/**
 * The first reply the bytes hold, or the ProtocolError that comes before it, or neither,
 * fed in the same chunks. (Where a chunk ends inside a header line, the decoder judges the
 * line once its CR arrives: a bad byte there followed by a hang-up is a CommunicationError.)
 */
function reference(chunks: Buffer[]): Expected {
  const replies: unknown[] = [];
  const decoder = new RespDecoder(
    { replySettings: () => UTF8, pushSettings: () => UTF8, onReply: (v) => replies.push(v), onPush: () => {} },
    {},
  );
  try {
    for (const chunk of chunks) decoder.feed(chunk);
  } catch (err) {
    if (replies.length > 0) return { kind: 'reply', value: replies[0] };
    if (!(err instanceof ProtocolError)) throw err;
    return { kind: 'protocol' };
  }
  return replies.length > 0 ? { kind: 'reply', value: replies[0] } : { kind: 'incomplete' };
}

function checkOutcome(expected: Expected, outcome: { ok: boolean; value?: unknown; error?: unknown }): void {
  if (!outcome.ok) {
    const error = outcome.error as Error;
    // A stack overflow would be wrapped into a ProtocolError: make sure it is not one.
    expect(String(error.message)).not.toMatch(/call stack/i);
    expect(error).toBeInstanceOf(RedisError);
  }
  switch (expected.kind) {
    case 'reply':
      if (expected.value instanceof ReplyError) {
        expect(outcome.ok).toBe(false);
        expect(outcome.error).toBeInstanceOf(ReplyError);
        expect((outcome.error as Error).message).toBe(expected.value.message);
      } else {
        expect(outcome.ok).toBe(true);
        expect(outcome.value).toStrictEqual(expected.value);
      }
      break;
    case 'protocol':
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toBeInstanceOf(ProtocolError);
      break;
    case 'incomplete':
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toBeInstanceOf(CommunicationError);
  }
}

function settle<T>(promise: Promise<T>): Promise<{ ok: boolean; value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

// --- generators ---------------------------------------------------------------------------

const TYPE_BYTES = '+-:$*%~>|=!_,#(.;?'.split('');
/** Pieces that make bytes look like RESP often enough to reach deep parser states. */
const token = fc.oneof(
  fc.constantFrom(...TYPE_BYTES),
  fc.constantFrom('\r\n', '\r', '\n', '-1', '-', '?', '0', '1', '2', '3', 'OK', 'ERR x', 'txt:', 't', 'f'),
  fc.integer({ min: -5, max: 20 }).map(String),
  fc.constantFrom('99000000000', '4294967296', '536870913', '9007199254740993', '18446744073709551616'),
  fc.string({ maxLength: 6 }),
  fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b).toString('latin1')),
);
const tokens = fc.array(token, { maxLength: 24 }).map((t) => Buffer.from(t.join(''), 'latin1'));

/** Valid RESP3 frames (small trees). */
const frame: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 8 }).filter((s) => !/[\r\n]/.test(s)).map((s) => `+${s}\r\n`),
    fc.string({ maxLength: 8 }).filter((s) => !/[\r\n]/.test(s)).map((s) => `-ERR ${s}\r\n`),
    fc.integer().map((n) => `:${n}\r\n`),
    fc.string({ maxLength: 12 }).map((s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`),
    fc.constant('_\r\n'),
    fc.boolean().map((b) => `#${b ? 't' : 'f'}\r\n`),
    fc.double({ noNaN: true }).map((d) => `,${d === Infinity ? 'inf' : d === -Infinity ? '-inf' : d}\r\n`),
    fc.array(tie('node'), { maxLength: 3 }).map((items) => `*${items.length}\r\n${items.join('')}`),
    fc.array(fc.tuple(tie('node'), tie('node')), { maxLength: 2 }).map((kv) => `%${kv.length}\r\n${kv.flat().join('')}`),
    fc.array(tie('node'), { maxLength: 3 }).map((items) => `*?\r\n${items.join('')}.\r\n`),
  ),
})).node;

/** A valid frame, then damaged: a byte changed, cut short, bytes inserted or repeated. */
const mutated = fc
  .tuple(frame, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'truncate', 'insert', 'repeat', 'none'))
  .map(([f, at, byte, how]) => {
    const b = Buffer.from(f, 'utf8');
    const i = b.length === 0 ? 0 : at % b.length;
    switch (how) {
      case 'flip':
        if (b.length > 0) b[i] = byte;
        return b;
      case 'truncate':
        return b.subarray(0, i);
      case 'insert':
        return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      case 'repeat':
        return Buffer.concat([b.subarray(0, i), b.subarray(0, i), b.subarray(i)]);
      default:
        return b;
    }
  });

/** Cut points for splitting bytes into chunks the way a socket may deliver them. */
const cuts = fc.array(fc.nat(), { maxLength: 4 });

function split(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => (bytes.length === 0 ? 0 : a % bytes.length)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    if (p > last) chunks.push(bytes.subarray(last, p));
    last = Math.max(last, p);
  }
  if (last < bytes.length) chunks.push(bytes.subarray(last));
  return chunks;
}

// --- in-memory socket ---------------------------------------------------------------------

class MemorySocket extends EventEmitter {
  readonly written: Buffer[] = [];
  destroyed = false;
  writableNeedDrain = false;
  bytesRead = 0;
  write(chunk: Buffer): boolean {
    this.written.push(chunk);
    return true;
  }
  cork(): void {}
  uncork(): void {}
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

/** One call on a RedisConnection whose server answers with `chunks`, then hangs up. */
async function overMemory(chunks: Buffer[]) {
  const socket = new MemorySocket();
  const connection = new RedisConnection(socket as unknown as Socket, ['hostile', 1], {
    cutoffSize: 6000,
    encoder: 'utf8',
    maxBulkLength: 512 * MB,
    socketTimeout: undefined,
  });
  const { pending, promise } = pendingCall(['GET', 'k'], UTF8);
  connection.send(pending);
  await new Promise((resolve) => process.nextTick(resolve)); // the write
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.bytesRead += chunk.length;
    socket.emit('data', chunk); // a listener that throws here would be an uncaught exception on a real socket
  }
  if (!socket.destroyed) socket.emit('close');
  const outcome = await settle(promise);
  return { outcome, connection, socket };
}

let memoryRuns = 0;
let tcpRuns = 0;

describe('random and damaged bytes (property tests)', () => {
  const property = (bytes: fc.Arbitrary<Buffer>) =>
    fc.asyncProperty(bytes, cuts, async (b, at) => {
      memoryRuns++;
      const chunks = split(b, at);
      const expected = reference(chunks);
      const { outcome, connection, socket } = await overMemory(chunks);
      checkOutcome(expected, outcome);
      // Whatever happened, the connection is gone and its socket destroyed.
      expect(connection.closed).toBe(true);
      if (expected.kind === 'protocol') expect(socket.destroyed).toBe(true);
    });

  it('arbitrary bytes: 3,000 runs', async () => {
    await fc.assert(property(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))), { numRuns: 3000 });
  });

  it('RESP-like token soup: 4,000 runs', async () => {
    await fc.assert(property(tokens), { numRuns: 4000 });
  });

  it('valid frames, damaged: 3,000 runs', async () => {
    await fc.assert(property(mutated), { numRuns: 3000 });
  });

  it('through real sockets, token soup and damaged frames: 300 runs', async () => {
    let script: { bytes: Buffer; hangUp: boolean } = { bytes: Buffer.alloc(0), hangUp: false };
    const fake = await fakeServer((socket, _data, index) => {
      if (index !== fake.connections) return;
      socket.write(script.bytes);
      if (script.hangUp) socket.end();
    });
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(tokens, mutated), async (b) => {
          tcpRuns++;
          const expected = reference([b]);
          script = { bytes: b, hangUp: expected.kind !== 'protocol' };
          const r = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0, decoder: 'utf8' });
          try {
            const outcome = await within(settle(r.call('get', 'k')), 10_000, 'call to a hostile server');
            checkOutcome(expected, outcome);
            // A ProtocolError discards the connection: the server sees it closed.
            if (expected.kind === 'protocol') await within(fake.closed(fake.connections), 10_000, 'discarded connection');
          } finally {
            await r.close();
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      await fake.close();
    }
    report('hostile-properties', { memoryRuns, tcpRuns, total: memoryRuns + tcpRuns });
    expect(memoryRuns + tcpRuns).toBeGreaterThanOrEqual(10_000);
  });
});

describe('fixed hostile replies over real sockets', () => {
  let fake: FakeServer;
  let reply: Buffer | ((socket: Socket) => void) = Buffer.alloc(0);
  beforeAll(async () => {
    fake = await fakeServer((socket, data, index) => {
      const text = data.toString('latin1').toLowerCase();
      if (index === fake.connections && text.includes('get')) {
        if (typeof reply === 'function') reply(socket);
        else socket.write(reply);
      } else if (text.includes('ping')) socket.write('+PONG\r\n');
    });
  });
  afterAll(async () => {
    await fake?.close();
  });

  /** The call fails with `type`, the server sees its connection closed by the client, and the next call gets a new one. */
  async function expectDiscarded(bytes: Buffer | ((socket: Socket) => void), type: new (...args: any[]) => RedisError, options: Record<string, unknown> = {}) {
    reply = bytes;
    const r = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0, decoder: 'utf8', ...options });
    try {
      const err = await within(r.call('get', 'k').then(() => null, (e: unknown) => e), 15_000, 'hostile call');
      expect(err).toBeInstanceOf(type);
      expect(String((err as Error).message)).not.toMatch(/call stack/i);
      const n = fake.connections;
      await within(fake.closed(n), 10_000, 'the client closing the connection');
      reply = Buffer.alloc(0);
      expect(await r.call('ping')).toBe('PONG');
      expect(fake.connections).toBe(n + 1);
      return err as RedisError;
    } finally {
      await r.close();
    }
  }

  const protocolCases: [string, string][] = [
    ['garbage type byte', 'X\r\n'],
    ['NUL bytes', '\0\0\0\0'],
    ['plain text', 'HTTP/1.1 400 Bad Request\r\n\r\n'],
    ['letters in a bulk length', '$abc\r\n'],
    ['letters after an array length', '*1a\r\n'],
    ['empty length', '$\r\n'],
    ['CR without LF', '$3\rX'],
    ['malformed integer', ':12a\r\n'],
    ['bulk longer than declared', '$3\r\nabcd\r\n'],
    ['bad element deep in an array', '*2\r\n:1\r\n:x\r\n'],
    ['negative bulk length', '$-2\r\n'],
    ['negative array length', '*-5\r\n'],
    ['negative map length', '%-1\r\n'],
    ['negative set length', '~-1\r\n'],
    ['negative verbatim length', '=-1\r\n'],
    ['negative bulk error length', '!-3\r\n'],
    ['very negative length', '$-1000000000\r\n'],
    ['an aggregate count over 2^32', '*99999999999\r\n'],
    ['a line without end', '+' + 'x'.repeat(100 * 1024)],
    ['malformed boolean', '#x\r\n'],
  ];

  it.each(protocolCases)('%s → ProtocolError, connection discarded', async (_name, bytes) => {
    await expectDiscarded(Buffer.from(bytes, 'latin1'), ProtocolError);
  });

  it('a 99 GB bulk length → ProtocolError before allocating anything', async () => {
    const before = process.memoryUsage().rss;
    const err = await expectDiscarded(Buffer.from('$99000000000\r\n'), ProtocolError);
    expect(err.message).toMatch(/over the limit/);
    const grown = process.memoryUsage().rss - before;
    report('99GB', { rssGrowthMB: Math.round(grown / MB) });
    expect(grown).toBeLessThan(64 * MB);
  });

  it('maxBulkLength bounds bulk strings below Redis’s 512 MB', async () => {
    const err = await expectDiscarded(Buffer.from('$2048\r\n'), ProtocolError, { maxBulkLength: 1024 });
    expect(err.message).toMatch(/over the limit of 1024/);
  });

  it('a reply nobody asked for after ours: our call gets its reply, the connection is discarded', async () => {
    reply = Buffer.from('+OK\r\n+EXTRA\r\n');
    const r = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0, decoder: 'utf8' });
    expect(await r.call('get', 'k')).toBe('OK');
    await within(fake.closed(fake.connections), 10_000, 'discarded connection');
    await r.close();
  });

  it('truncated frames: socketTimeout fails the call and discards the connection', async () => {
    for (const bytes of ['$10\r\nabc', '*3\r\n:1\r\n', '+OK', '$5\r\nhel', '%2\r\n+a\r\n', '*4294967295\r\n']) {
      const err = await expectDiscarded(Buffer.from(bytes), CommunicationError, { socketTimeout: 200 });
      expect(err.code).toBe('ERR_SOCKET_TIMEOUT');
    }
  });

  it('truncated frames and a hang-up: CommunicationError', async () => {
    for (const bytes of ['$10\r\nabc', '*3\r\n:1\r\n', '+OK']) {
      reply = (socket) => socket.end(bytes);
      const r = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0, decoder: 'utf8' });
      const err = (await r.call('get', 'k').catch((e: unknown) => e)) as RedisError;
      expect(err).toBeInstanceOf(CommunicationError);
      await r.close();
    }
  });

  describe('a million nested arrays', () => {
    const DEPTH = 1_000_000;
    const nested = '*1\r\n'.repeat(DEPTH);

    it('valid RESP: decoded without a stack overflow, in bounded memory', async () => {
      reply = Buffer.from(nested + ':42\r\n');
      const r = new Redis({ address: fake.address, poolFactory: 'pool', connectRetry: 0, decoder: 'utf8' });
      const before = process.memoryUsage().rss;
      let value = await r.call('get', 'k');
      const grown = process.memoryUsage().rss - before;
      let depth = 0;
      let shapeOk = true;
      while (Array.isArray(value)) {
        shapeOk &&= value.length === 1;
        value = value[0];
        depth++;
      }
      expect(shapeOk).toBe(true);
      expect(depth).toBe(DEPTH);
      expect(value).toBe(42);
      await r.close();
      report('million-nested', { rssGrowthMB: Math.round(grown / MB) });
      expect(grown).toBeLessThan(512 * MB);
    });

    it('damaged at the bottom → ProtocolError; never finished → socket timeout; both discard the connection', async () => {
      await expectDiscarded(Buffer.from(nested + 'X\r\n'), ProtocolError);
      const err = await expectDiscarded(Buffer.from(nested), CommunicationError, { socketTimeout: 300 });
      expect(err.code).toBe('ERR_SOCKET_TIMEOUT');
    });
  });
});
