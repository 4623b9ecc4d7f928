import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { inspect } from 'node:util';
import {
  exchange,
  redisServerAvailable,
  REDIS_UNAVAILABLE_MESSAGE,
  startRedisSentinel,
  startRedisServer,
  type RedisServer,
} from '../../lib/testing/index.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed orphan stays a zombie until init reaps it: that counts as gone.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  expect(isAlive(pid)).toBe(false);
}

/** Resolves once a TLS handshake completes (then hangs up), rejects with the handshake error. */
function tlsHandshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...options }, () => {
      socket.write('PING\r\n');
    });
    socket.setTimeout(3_000, () => socket.destroy(new Error('timeout')));
    socket.once('data', (chunk) => {
      socket.destroy();
      resolvePromise(chunk.toString());
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

const SECRET = 'pa ss"wörd\\1';

describe('testing harness', () => {
  const servers: RedisServer[] = [];
  const track = (server: RedisServer) => (servers.push(server), server);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('finds the local binary', async () => {
    expect(await redisServerAvailable()).toBe('binary');
  });

  it('starts a plain server', async () => {
    const server = track(await startRedisServer());
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.address).toEqual(['127.0.0.1', server.port]);
    expect(await server.cli('PING')).toBe('PONG');
    expect(await server.cli('CONFIG', 'GET', 'save')).toBe('save');
    expect(await exchange({ port: server.port }, 'PING\r\n')).toBe('+PONG\r\n');
    expect(await server.cli('DEBUG', 'SLEEP', '0')).toBe('OK');
    await expect(server.cli('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
  });

  it('requires the password, and never shows it', async () => {
    const server = track(await startRedisServer({ password: SECRET }));
    expect(await exchange({ port: server.port }, 'PING\r\n')).toMatch(/^-NOAUTH/);
    expect(await server.cli('PING')).toBe('PONG');
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const failure = await server.cliAs({ password: 'wrong' }, 'PING').catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/WRONGPASS|AUTH failed/);
    expect(inspect(server)).not.toContain(SECRET);
    expect(server.logTail()).not.toContain(SECRET);
  });

  it('supports ACL users', async () => {
    const server = track(
      await startRedisServer({
        users: [
          { username: 'alice', password: SECRET },
          { username: 'reader', password: 'r', rules: 'on ~* +get +acl|whoami' },
        ],
      }),
    );
    expect(await server.cliAs({ username: 'alice', password: SECRET }, 'ACL', 'WHOAMI')).toBe('alice');
    expect(await server.cliAs({ username: 'reader', password: 'r' }, 'ACL', 'WHOAMI')).toBe('reader');
    await expect(server.cliAs({ username: 'reader', password: 'r' }, 'SET', 'k', 'v')).rejects.toThrow(/NOPERM/);
    expect(await server.cli('ACL', 'WHOAMI')).toBe('default');
  });

  it('serves TLS with a verifiable certificate', async () => {
    const server = track(await startRedisServer({ tls: true }));
    const tls = server.tls!;
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    expect(await tlsHandshake(server.port, { ca: tls.ca, servername: 'localhost' })).toBe('+PONG\r\n');
    expect(await tlsHandshake(server.port, { ca: tls.ca })).toBe('+PONG\r\n'); // IP SAN
    expect(await tlsHandshake(server.port, { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey })).toBe('+PONG\r\n');
    await expect(tlsHandshake(server.port, {})).rejects.toThrow(/certificate/i);
    expect(await server.cli('PING')).toBe('PONG');
    expect(existsSync(tls.caFile) && existsSync(tls.clientKeyFile)).toBe(true);
    await expect(exchange({ port: server.port }, 'PING\r\n', 500)).rejects.toThrow(); // no plain port
  });

  it('can serve a certificate for the wrong host', async () => {
    const server = track(await startRedisServer({ tls: true, tlsHostMismatch: true }));
    expect(server.tls!.hostMismatch).toBe(true);
    await expect(tlsHandshake(server.port, { ca: server.tls!.ca, servername: 'localhost' })).rejects.toThrow(
      /altnames|does not match/i,
    );
    const skipHostCheck = { ca: server.tls!.ca, checkServerIdentity: () => undefined };
    expect(await tlsHandshake(server.port, skipHostCheck)).toBe('+PONG\r\n');
  });

  it('listens on a unix socket', async () => {
    const server = track(await startRedisServer({ unixSocket: true, password: SECRET }));
    expect(server.socketPath).toMatch(/redis\.sock$/);
    expect(await exchange({ path: server.socketPath! }, `AUTH "${SECRET.replace(/["\\]/g, '\\$&')}"\r\n`)).toBe('+OK\r\n');
  });

  it('kills and restarts on the same port', async () => {
    const server = track(await startRedisServer({ unixSocket: true }));
    const { port, pid } = server;
    await server.cli('SET', 'k', 'v');
    await server.kill();
    expect(server.running).toBe(false);
    expect(isAlive(pid)).toBe(false);
    await expect(exchange({ port }, 'PING\r\n', 500)).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await server.cli('GET', 'k')).toBe(''); // a fresh, empty server
    expect(await exchange({ path: server.socketPath! }, 'PING\r\n')).toBe('+PONG\r\n');
    // restart() of a running server stops it first
    const before = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(before);
    expect(isAlive(before)).toBe(false);
  });

  it('pauses and resumes', async () => {
    const server = track(await startRedisServer());
    server.pause();
    await expect(exchange({ port: server.port }, 'PING\r\n', 300)).rejects.toThrow(/no reply/);
    server.resume();
    expect(await exchange({ port: server.port }, 'PING\r\n')).toBe('+PONG\r\n');
    server.pause(); // stop() must still work on a paused server
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('stop() leaves no process, dir or handle behind', async () => {
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    const before = resources().length;
    const server = await startRedisServer({ unixSocket: true });
    const dir = dirname(server.socketPath!);
    expect(existsSync(dir)).toBe(true);
    await server.stop();
    await server.stop(); // idempotent
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(resources().length).toBeLessThanOrEqual(before);
    await expect(server.restart()).rejects.toThrow(/stopped/);
  });

  it('reports a port that is taken, with the log tail', async () => {
    const first = track(await startRedisServer());
    const error = await startRedisServer({ port: first.port, password: SECRET }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Address already in use/);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('kills forgotten servers when the process exits or is SIGTERMed', async () => {
    // Transpile the harness and run it in plain Node processes that never call stop().
    const out = mkdtempSync(join(tmpdir(), 'justredis-harness-'));
    try {
      const { default: ts } = await import('typescript');
      writeFileSync(join(out, 'package.json'), '{"type":"module"}');
      for (const file of readdirSync('lib/testing').filter((name) => name.endsWith('.ts'))) {
        const { outputText } = ts.transpileModule(readFileSync(join('lib/testing', file), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        });
        writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
      }
      const script = (stayAlive: boolean) => `
        const m = await import(${JSON.stringify(join(out, 'redis-server.js'))});
        const s = await m.startRedisServer({ unixSocket: true });
        console.log(JSON.stringify({ pid: s.pid, socketPath: s.socketPath }));
        ${stayAlive ? 'setInterval(() => {}, 1000);' : ''}`;
      const runScript = (stayAlive: boolean) =>
        new Promise<{ pid: number; socketPath: string; signal: string | null }>((resolvePromise, reject) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script(stayAlive)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let line = '';
          child.stdout.on('data', (chunk: Buffer) => {
            line += chunk.toString();
            if (stayAlive && line.includes('\n')) child.kill('SIGTERM');
          });
          child.once('error', reject);
          child.once('exit', (_code, signal) => {
            try {
              resolvePromise({ ...JSON.parse(line), signal });
            } catch (error) {
              reject(error);
            }
          });
        });
      // 1. The server's child handle is unref'd: the script ends by itself, 'exit' kills it.
      const natural = await runScript(false);
      // 2. SIGTERM (what jest-worker sends a worker that lingers): killed too, and the
      //    signal is re-raised so the process still dies of it.
      const terminated = await runScript(true);
      expect(terminated.signal).toBe('SIGTERM');
      for (const { pid, socketPath } of [natural, terminated]) {
        await waitGone(pid);
        expect(existsSync(dirname(socketPath))).toBe(false);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('reports when there is no way to start a server', async () => {
    const saved = process.env.REDIS_SERVER_BIN;
    process.env.REDIS_SERVER_BIN = '/nonexistent/redis-server';
    try {
      const how = await redisServerAvailable();
      if (how === 'docker') return; // a machine with Docker would fall back to a container
      expect(how).toBe('none');
      await expect(startRedisServer()).rejects.toThrow(REDIS_UNAVAILABLE_MESSAGE);
    } finally {
      if (saved === undefined) delete process.env.REDIS_SERVER_BIN;
      else process.env.REDIS_SERVER_BIN = saved;
    }
  });

  it('starts a sentinel setup that fails over', async () => {
    const setup = await startRedisSentinel({ password: SECRET, sentinelPassword: 'sentinel-secret' });
    try {
      expect(setup.sentinels).toHaveLength(3);
      expect(setup.addresses).toEqual(setup.sentinels.map((s) => ['127.0.0.1', s.port]));
      const [sentinel] = setup.sentinels;
      expect(await sentinel!.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', setup.masterName)).toBe(`127.0.0.1\n${setup.master.port}`);
      expect(await exchange({ port: sentinel!.port }, 'PING\r\n')).toMatch(/^-NOAUTH/);
      expect(await setup.replica.cli('ROLE')).toMatch(/^slave/);
      // down-after-milliseconds 1000: a crashed master is replaced within seconds.
      await setup.master.kill();
      const deadline = Date.now() + 20_000;
      let addr = '';
      while (Date.now() < deadline) {
        addr = await sentinel!.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', setup.masterName);
        if (addr.endsWith(`\n${setup.replica.port}`)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(addr).toBe(`127.0.0.1\n${setup.replica.port}`);
    } finally {
      await setup.stop();
    }
    expect(setup.sentinels.every((s) => !isAlive(s.pid))).toBe(true);
  }, 40_000);
});
