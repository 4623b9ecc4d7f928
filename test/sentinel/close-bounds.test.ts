/**
 * close() is never held up by a silent sentinel (or a silent master the sentinels name):
 * with connectTimeout and socketTimeout at 60 s, a close while discovery queries, ROLE
 * probes or the +switch-master watcher wait on a socket that accepted and never answers
 * settles at once, the waiting call fails as closed, and the client destroys the socket
 * (nothing is left for Jest to find open). A real server cannot be silent: the silent
 * ones are fake `net` servers (or a real sentinel behind a blackholed fault proxy); the
 * master, its replica and the sentinel that answers are real.
 */
import { startFaultProxy, startRedisSentinel, type FaultProxy, type RedisSentinelSetup } from '../../lib/testing/index.js';
import { Redis, type RedisOptions } from '../../lib/core/index.js';
import { fakeServer, within, type FakeServer } from '../reliability/support.js';
import { eventually } from '../helpers.js';

/** Far longer than any bound below: a close that waited for it would fail the test. */
const LONG_MS = 60_000;
const PROMPT_MS = 5_000;

let setup: RedisSentinelSetup;
beforeAll(async () => {
  setup = await startRedisSentinel({ sentinels: 1 });
}, 40_000);
afterAll(async () => {
  await setup?.stop();
});

/** A server that accepts and never answers; `received(word)` resolves to the index of the first connection that sent it. */
async function silentServer(): Promise<FakeServer & { received(word: string): Promise<number> }> {
  const seen = new Map<number, string>();
  const waiters: { word: string; resolve: (index: number) => void }[] = [];
  const find = (word: string) => [...seen].find(([, text]) => text.includes(word))?.[0];
  const server = await fakeServer((_socket, data, index) => {
    seen.set(index, (seen.get(index) ?? '') + data.toString('latin1').toUpperCase());
    for (const w of waiters) {
      const found = find(w.word);
      if (found !== undefined) w.resolve(found);
    }
  });
  return Object.assign(server, {
    received(word: string): Promise<number> {
      return new Promise<number>((resolve) => {
        const found = find(word);
        if (found !== undefined) resolve(found);
        else waiters.push({ word, resolve });
      });
    },
  });
}

function sentinelClient(extra: RedisOptions): Redis {
  return new Redis({
    poolFactory: 'sentinel',
    sentinelMaster: setup.masterName,
    connectTimeout: LONG_MS,
    socketTimeout: LONG_MS,
    connectRetry: 0,
    ...extra,
  });
}

/** close() settles promptly, `call` fails with the client-closed error, `closed` (the silent socket) ends. */
async function expectPromptClose(redis: Redis, call: Promise<unknown>, closed: Promise<unknown>): Promise<void> {
  await within(redis.close(), PROMPT_MS, 'close()');
  const error = await within(
    call.then(
      () => new Error('the call succeeded'),
      (err: unknown) => err,
    ),
    PROMPT_MS,
    'the waiting call',
  );
  expect(error).toMatchObject({ name: 'ConnectionPoolError', code: 'ERR_CLIENT_CLOSED' });
  expect(String((error as Error).message)).toMatch(/client is closed/i);
  await within(closed, PROMPT_MS, 'the silent socket closed by the client');
}

describe('close() while discovery waits on a silent sentinel', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeEach(async () => {
    silent = await silentServer();
  });
  afterEach(async () => {
    await silent.close();
  });

  it('mid-query (SENTINEL GET-MASTER-ADDR-BY-NAME written, no reply): close ends it at once', async () => {
    const redis = sentinelClient({ addresses: [setup.addresses[0], silent.address] });
    const call = redis.call('ping');
    const query = await silent.received('GET-MASTER-ADDR-BY-NAME');
    await expectPromptClose(redis, call, silent.closed(query));
  });

  it('mid-handshake (the sentinel AUTH unanswered): close ends the connect at once', async () => {
    const redis = sentinelClient({ addresses: [silent.address], sentinelPassword: 'sentinel-secret' });
    const call = redis.call('ping');
    const handshake = await silent.received('AUTH');
    await expectPromptClose(redis, call, silent.closed(handshake));
  });
});

describe('close() while discovery probes a silent master with ROLE', () => {
  const NAME = 'silentmaster';
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    silent = await silentServer();
    // A real sentinel told to monitor the silent server names it as the master.
    await setup.sentinels[0].cli('SENTINEL', 'MONITOR', NAME, '127.0.0.1', String(silent.port), '1');
  });
  afterAll(async () => {
    await setup.sentinels[0].cli('SENTINEL', 'REMOVE', NAME);
    await silent.close();
  });

  it('the ROLE probe is destroyed by close() and the call fails as closed', async () => {
    const redis = sentinelClient({ addresses: setup.addresses, sentinelMaster: NAME });
    const call = redis.call('ping');
    // The sentinel's own links to the "master" send no ROLE: this is the client's probe.
    const probe = await silent.received('ROLE');
    await expectPromptClose(redis, call, silent.closed(probe));
  });
});

describe('close() while the +switch-master watcher reconnects to a silent sentinel', () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await startFaultProxy({ target: setup.addresses[0] });
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('the watcher connect stuck in its handshake is ended by close()', async () => {
    // The real sentinel first: discovery prefers it and the watcher subscribes there.
    const redis = sentinelClient({ addresses: [setup.addresses[0], proxy.address], clientName: 'bounded-watcher' });
    expect(String(await redis.call('ping'))).toBe('PONG');
    const sentinel = setup.sentinels[0];
    await eventually(async () => /name=bounded-watcher .*sub=5/.test(await sentinel.cli('CLIENT', 'LIST')), PROMPT_MS);
    // The proxy sentinel goes silent; the watcher loses its subscription and tries it next.
    proxy.blackhole(true);
    const seen = proxy.connections;
    await sentinel.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await eventually(() => proxy.connections > seen && proxy.open > 0, PROMPT_MS);
    await within(redis.close(), PROMPT_MS, 'close()');
    // Its CLIENT SETNAME held by the silence, the connect would wait connectTimeout (60 s).
    await eventually(() => proxy.open === 0, PROMPT_MS);
  });
});
