import { inspect } from 'node:util';
import { startFaultProxy, startRedisServer } from '../../lib/testing/index.js';
import { Redis, ReplyError, CommunicationError } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

const PASSWORD = 'sekret-Pa55word';

describe('authentication', () => {
  const server = useRedisServer({ password: PASSWORD, users: [{ username: 'alice', password: 'alice-pw-123' }] });

  it('fails with NOAUTH without a password', async () => {
    await using r = new Redis({ address: [server.host, server.port] });
    const err = await r.call('set', 'a', 'b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).code).toBe('NOAUTH');
  });

  it('fails with WRONGPASS on a wrong password, without showing it', async () => {
    await using r = new Redis({ address: [server.host, server.port], password: 'not-the-Pa55word', connectRetry: 0 });
    const err = (await r.call('ping').catch((e: unknown) => e)) as ReplyError;
    expect(err).toBeInstanceOf(ReplyError);
    expect(err.code).toBe('WRONGPASS');
    expect(`${err.message} ${err.stack} ${inspect(err)}`).not.toContain('not-the-Pa55word');
  });

  it.each([2, 3, -1] as const)('authenticates with a password (RESP%i)', async (respVersion) => {
    await using r = new Redis({ address: [server.host, server.port], password: PASSWORD, respVersion, decoder: 'utf8', clientName: 'authed' });
    expect(await r.call('set', 'a', 'b')).toBe('OK');
    expect(await r.call('client', 'getname')).toBe('authed');
    expect(inspect(r, { showHidden: true, depth: 10 })).not.toContain(PASSWORD);
  });

  it.each([2, 3] as const)('authenticates an ACL user (RESP%i)', async (respVersion) => {
    await using r = Redis.fromUrl(`redis://alice:alice-pw-123@${server.host}:${server.port}/0?decoder=utf8&respVersion=${respVersion}`);
    expect(await r.call('acl', 'whoami')).toBe('alice');
  });

  it('lets AUTH be called directly on a taken connection (refused on the shared path)', async () => {
    await using r = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
    await expect(r.call('auth', PASSWORD)).rejects.toThrow(TypeError);
    const c = await r.connection();
    await expect(c.call('ping')).rejects.toThrow(/NOAUTH/);
    expect(await c.call('auth', PASSWORD)).toBe('OK');
    expect(await c.call('ping')).toBe('PONG');
    await c.release();
  });
});

describe('TLS', () => {
  const server = useRedisServer({ tls: true });

  it('connects with the CA and verifies the host name', async () => {
    await using r = new Redis({ address: ['localhost', server.port], tls: { ca: server.tls!.ca }, decoder: 'utf8' });
    expect(await r.call('ping')).toBe('PONG');
    await using byIp = new Redis({ address: [server.host, server.port], tls: { ca: server.tls!.ca }, decoder: 'utf8' });
    expect(await byIp.call('ping')).toBe('PONG');
  });

  it('takes sslCafile/sslCertfile/sslKeyfile and rediss:// URLs', async () => {
    const t = server.tls!;
    await using r = new Redis({
      address: [server.host, server.port],
      sslCafile: t.caFile,
      sslCertfile: t.clientCertFile,
      sslKeyfile: t.clientKeyFile,
      decoder: 'utf8',
    });
    expect(await r.call('ping')).toBe('PONG');
    await using u = Redis.fromUrl(`rediss://${server.host}:${server.port}?decoder=utf8`, { tls: { ca: t.ca } });
    expect(await u.call('ping')).toBe('PONG');
  });

  it('rejects an unknown CA by default', async () => {
    await using r = new Redis({ address: [server.host, server.port], socketFactory: 'ssl', connectRetry: 0 });
    await expect(r.call('ping')).rejects.toThrow(CommunicationError);
  });

  it('rejects a host name the certificate does not name', async () => {
    await using r = new Redis({ address: [server.host, server.port], tls: { ca: server.tls!.ca, servername: 'other.example' }, connectRetry: 0 });
    const err = await r.call('ping').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommunicationError);
    expect(String((err as Error).message)).toMatch(/other\.example|altnames|hostname/i);
  });

  // A counting TCP proxy in front of the TLS server: each connection it accepts is one attempt.
  it.each([
    ['an unknown CA', {}],
    ['a host name the certificate does not name', { servername: 'other.example' }],
  ])('makes one connection attempt, not connectRetry + 1, when the certificate check refuses %s', async (_what, tlsExtra) => {
    const proxy = await startFaultProxy({ target: [server.host, server.port] });
    try {
      const ca = 'servername' in tlsExtra ? { ca: server.tls!.ca } : {};
      await using r = new Redis({ address: proxy.address, socketFactory: 'ssl', tls: { ...ca, ...tlsExtra }, connectRetry: 4, password: PASSWORD });
      const err = await r.call('ping').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommunicationError);
      expect(err).toMatchObject({ code: 'ERR_TLS_VERIFY', message: expect.stringMatching(/^TLS verification of 127\.0\.0\.1:\d+ failed: /) });
      expect(inspect(err)).not.toContain(PASSWORD);
      expect(proxy.connections).toBe(1);
      // The next call tries again (once): the certificate may have been fixed meanwhile.
      await expect(r.call('ping')).rejects.toMatchObject({ code: 'ERR_TLS_VERIFY' });
      expect(proxy.connections).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('still retries connectRetry times when the TLS connection fails for another reason', async () => {
    const proxy = await startFaultProxy({ target: [server.host, server.port] });
    try {
      proxy.refuse(true);
      await using r = new Redis({ address: proxy.address, tls: { ca: server.tls!.ca }, connectRetry: 2 });
      await expect(r.call('ping')).rejects.toMatchObject({ code: 'ERR_CONNECT' });
      expect(proxy.connections).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});

describe('unix socket', () => {
  const server = useRedisServer({ unixSocket: true });

  it('connects by path and by unix:// URL', async () => {
    await using r = new Redis({ address: server.socketPath!, decoder: 'utf8' });
    expect(await r.call('set', 'u', '1')).toBe('OK');
    await using u = Redis.fromUrl(`unix://${server.socketPath}?db=0&decoder=utf8`);
    expect(await u.call('get', 'u')).toBe('1');
    const list = await u.call('client', 'list');
    expect(list).toMatch(/addr=\/|laddr=\//);
  });
});

describe('TCP options', () => {
  const server = useRedisServer();

  it('applies tcpKeepalive and tcpNodelay, and cutoffSize 0 still works', async () => {
    await using r = new Redis({ address: [server.host, server.port], tcpKeepalive: 1000, tcpNodelay: false, cutoffSize: 0, decoder: 'utf8' });
    const big = Buffer.alloc(100_000, 7);
    await r.call('set', 'big', big);
    expect(await r.call('strlen', 'big')).toBe(100_000);
    expect(await r.pipeline([['set', 'a', 'x'], ['get', 'a']])).toEqual(['OK', 'x']);
  });

  it('fails to connect with a CommunicationError after connectRetry attempts', async () => {
    const dead = await startRedisServer();
    const port = dead.port;
    await dead.stop();
    await using r = new Redis({ address: ['127.0.0.1', port], connectRetry: 2 });
    const err = (await r.call('ping').catch((e: unknown) => e)) as CommunicationError;
    expect(err).toBeInstanceOf(CommunicationError);
    expect(err.message).toMatch(/after 3 attempts/);
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('SELECTs the configured database and names the client', async () => {
    await using r = new Redis({ address: [server.host, server.port], database: 5, clientName: 'named', decoder: 'utf8' });
    await r.call('set', 'db5', 'x');
    expect(await server.cli('-n', '5', 'get', 'db5')).toBe('x');
    expect(await r.call('client', 'info')).toMatch(/name=named .*db=5/);
  });
});
