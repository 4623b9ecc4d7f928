import fc from 'fast-check';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { Redis, ReplyError, CommunicationError, type Connection } from '../../lib/core/index.js';

/**
 * Model-based test of exclusive connections: random sequences of what a borrower may do
 * (SELECT, MULTI/EXEC/DISCARD with queued SELECTs — valid and refused —, WATCH and a write to
 * the watched key, HELLO 3, CLIENT SETNAME, RESET, error replies, a kill of the socket by an
 * admin, release) run against a real server and a model of the connection. Every reply is
 * compared with the model's; after every release the next borrower and the shared path must
 * see exactly the configured state (CLIENT INFO db, user, resp, name, flags; no WATCH left).
 */

const CONFIGURED = { db: '2', user: 'app', resp: '2', name: 'cfg' };
const DATABASES = [0, 1, 2, 3];

let server: RedisServer;
let redis: Redis;
let admin: Redis;

/** The client under test (a new one after a failed run, so shrinking starts clean); one slot: every borrower gets the previous borrower's socket whenever it was kept. */
function newClient(): Redis {
  return new Redis({
    address: server.address,
    decoder: 'utf8',
    username: 'app',
    password: 'app-pw',
    clientName: 'cfg',
    database: 2,
    respVersion: 2,
    maxConnections: 1,
    waitTimeout: 5000,
  });
}

beforeAll(async () => {
  server = await startRedisServer({ users: [{ username: 'app', password: 'app-pw' }] });
  admin = new Redis({ address: server.address, decoder: 'utf8' });
  redis = newClient();
});
afterAll(async () => {
  await redis?.close();
  await admin?.close();
  await server?.stop();
});

interface Model {
  borrowed: boolean;
  killed: boolean;
  db: number;
  name: string;
  inMulti: boolean;
  /** Queued inside MULTI: a SELECT's database (valid or not) or null for other commands. */
  queued: ({ select: number } | null)[];
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  multiDirty: boolean;
  watching: boolean;
  watchTouched: boolean;
}

interface Real {
  c: Connection | null;
  id: number;
}

function clientInfo(reply: unknown): Record<string, string> {
  const text = String(reply).replace(/^txt:/, '');
  return Object.fromEntries(text.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** The configured state, as a borrower and as the shared path see it; and no WATCH left behind. */
async function assertConfigured(): Promise<void> {
  const next = await redis.connection();
  try {
    const info = clientInfo(await next.call('client', 'info'));
    expect({ db: info.db, user: info.user, resp: info.resp, name: info.name }).toEqual(CONFIGURED);
    expect(info.flags).toBe('N');
    await touchWatched();
    expect(await next.pipeline([['multi'], ['exec']])).toEqual(['OK', []]);
  } finally {
    await next.release();
  }
  const shared = clientInfo(await redis.call('client', 'info'));
  expect({ db: shared.db, user: shared.user, resp: shared.resp, name: shared.name }).toEqual(CONFIGURED);
}

async function touchWatched(): Promise<void> {
  await Promise.all(DATABASES.map((database) => admin.call('set', 'w', 'touched', { database })));
}

/** What the model expects a non-transaction command to answer: its own reply, or QUEUED. */
function queuedOr(m: Model, reply: unknown): unknown {
  return m.inMulti ? 'QUEUED' : reply;
}

type Cmd = fc.AsyncCommand<Model, Real>;

class Borrow implements Cmd {
  check = (m: Readonly<Model>) => !m.borrowed;
  async run(m: Model, r: Real): Promise<void> {
    r.c = await redis.connection();
    r.id = Number(await r.c.call('client', 'id'));
    Object.assign(m, { borrowed: true, killed: false, db: 2, name: 'cfg', inMulti: false, queued: [], multiDirty: false, watching: false, watchTouched: false });
  }
  toString = () => 'borrow';
}

class Release implements Cmd {
  check = (m: Readonly<Model>) => m.borrowed;
  async run(m: Model, r: Real): Promise<void> {
    await r.c!.release();
    r.c = null;
    m.borrowed = false;
    await assertConfigured();
  }
  toString = () => 'release';
}

/** Commands on a live borrowed socket. */
abstract class OnSocket implements Cmd {
  check(m: Readonly<Model>): boolean {
    return m.borrowed && !m.killed;
  }
  abstract run(m: Model, r: Real): Promise<void>;
}

class Select extends OnSocket {
  constructor(readonly db: number) {
    super();
  }
  async run(m: Model, r: Real): Promise<void> {
    const valid = this.db < 16;
    if (m.inMulti) {
      expect(await r.c!.call('select', this.db)).toBe('QUEUED');
      m.queued.push({ select: this.db });
    } else if (valid) {
      expect(await r.c!.call('select', this.db)).toBe('OK');
      m.db = this.db;
    } else {
      await expect(r.c!.call('select', this.db)).rejects.toThrow(ReplyError);
    }
  }
  override toString = () => `select ${this.db}`;
}

class Set extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.c!.call('set', 'k', 'v')).toBe(queuedOr(m, 'OK'));
    if (m.inMulti) m.queued.push(null);
  }
  override toString = () => 'set';
}

class Unknown extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    await expect(r.c!.call('nosuchcommand')).rejects.toThrow(ReplyError);
    if (m.inMulti) m.multiDirty = true;
  }
  override toString = () => 'nosuchcommand';
}

class Multi extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    if (m.inMulti) {
      await expect(r.c!.call('multi')).rejects.toThrow(/nested/);
      return;
    }
    expect(await r.c!.call('multi')).toBe('OK');
    Object.assign(m, { inMulti: true, queued: [], multiDirty: false });
  }
  override toString = () => 'multi';
}

class Exec extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    if (!m.inMulti) {
      await expect(r.c!.call('exec')).rejects.toThrow(/without MULTI/);
      return;
    }
    if (m.multiDirty) {
      await expect(r.c!.call('exec')).rejects.toThrow(/EXECABORT/);
    } else if (m.watching && m.watchTouched) {
      expect(await r.c!.call('exec')).toBeNull();
    } else {
      const replies = (await r.c!.call('exec')) as unknown[];
      expect(replies).toHaveLength(m.queued.length);
      m.queued.forEach((q, i) => {
        if (q === null || q.select < 16) expect(replies[i]).toBe('OK');
        else expect(replies[i]).toBeInstanceOf(ReplyError);
        if (q !== null && q.select < 16) m.db = q.select;
      });
    }
    Object.assign(m, { inMulti: false, queued: [], multiDirty: false, watching: false, watchTouched: false });
  }
  override toString = () => 'exec';
}

class Discard extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    if (!m.inMulti) {
      await expect(r.c!.call('discard')).rejects.toThrow(/without MULTI/);
      return;
    }
    expect(await r.c!.call('discard')).toBe('OK');
    Object.assign(m, { inMulti: false, queued: [], multiDirty: false, watching: false, watchTouched: false });
  }
  override toString = () => 'discard';
}

class Watch extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    if (m.inMulti) {
      await expect(r.c!.call('watch', 'w')).rejects.toThrow(/inside MULTI/);
      return;
    }
    expect(await r.c!.call('watch', 'w')).toBe('OK');
    if (!m.watching) m.watchTouched = false;
    m.watching = true;
  }
  override toString = () => 'watch w';
}

class TouchWatched extends OnSocket {
  async run(m: Model): Promise<void> {
    await touchWatched();
    if (m.watching) m.watchTouched = true;
  }
  override toString = () => 'admin: set w';
}

/** Per-connection settings a release cannot cheaply restore; not inside MULTI. */
class Outside extends OnSocket {
  constructor(readonly what: 'hello' | 'setname' | 'reset') {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return super.check(m) && !m.inMulti;
  }
  async run(m: Model, r: Real): Promise<void> {
    const c = r.c!;
    if (this.what === 'hello') {
      const hello = await c.call('hello', '3');
      expect(hello instanceof Map ? hello.get('proto') : undefined).toBe(3);
    } else if (this.what === 'setname') {
      expect(await c.call('client', 'setname', 'other')).toBe('OK');
      m.name = 'other';
    } else {
      expect(await c.call('reset')).toBe('RESET');
      Object.assign(m, { db: 0, name: '', watching: false, watchTouched: false });
    }
  }
  override toString = () => this.what;
}

/** The borrower's view of its socket matches the model (no hidden SELECT, no hidden MULTI). */
class Info extends OnSocket {
  override check(m: Readonly<Model>): boolean {
    return super.check(m) && !m.inMulti;
  }
  async run(m: Model, r: Real): Promise<void> {
    const info = clientInfo(await r.c!.call('client', 'info'));
    expect(Number(info.db)).toBe(m.db);
    expect(info.flags).not.toContain('x');
    expect(info.name).toBe(m.name);
  }
  override toString = () => 'client info';
}

class Kill extends OnSocket {
  async run(m: Model, r: Real): Promise<void> {
    expect(await admin.call('client', 'kill', 'id', r.id)).toBe(1);
    // The server closed it: the next command on it fails (and the socket is seen closed).
    await expect(r.c!.call('ping')).rejects.toThrow(CommunicationError);
    m.killed = true;
  }
  override toString = () => 'admin: client kill';
}

const commands = [
  fc.constant(new Borrow()),
  fc.constant(new Release()),
  fc.constantFrom(...[0, 1, 3, 99].map((db) => new Select(db))),
  fc.constant(new Set()),
  fc.constant(new Unknown()),
  fc.constant(new Multi()),
  fc.constant(new Multi()),
  fc.constant(new Exec()),
  fc.constant(new Discard()),
  fc.constant(new Watch()),
  fc.constant(new TouchWatched()),
  fc.constantFrom(new Outside('hello'), new Outside('setname'), new Outside('reset')),
  fc.constant(new Info()),
  fc.constant(new Kill()),
];

it('exclusive connections come back in the configured state, whatever the borrower did', async () => {
  await admin.call('flushall');
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 12 }), async (cmds) => {
      const model: Model = { borrowed: false, killed: false, db: 2, name: 'cfg', inMulti: false, queued: [], multiDirty: false, watching: false, watchTouched: false };
      const real: Real = { c: null, id: 0 };
      try {
        // Every run starts borrowed, so no command of the sequence is skipped.
        await new Borrow().run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        if (real.c !== null) {
          await real.c.release();
          await assertConfigured();
        }
      } catch (err) {
        // A failed run may leave a dirty socket in the pool: the next run (shrinking) starts on a new client.
        await redis.close();
        redis = newClient();
        throw err;
      }
    }),
    { numRuns: 1000 },
  );
}, 120_000);
