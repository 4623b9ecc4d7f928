import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/**
 * The published artefact, not the source: `npm pack` builds `dist/`, the tarball installs
 * into a fresh ESM app that has no Nest and no RxJS, and the core and testing entry points
 * import and talk to a real server there.
 */
describe('the packed package', () => {
  let app: string;
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
    app = await mkdtemp(join(tmpdir(), 'justredis-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', app], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const tarball = stdout.trim().split('\n').pop()!;
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', type: 'module', private: true }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(app, tarball)], { cwd: app });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('imports nestjs-justredis/core without loading Nest or RxJS, and talks to Redis', async () => {
    const script = `
      import { Redis, ReplyError } from 'nestjs-justredis/core';
      const redis = new Redis({ address: ['127.0.0.1', ${server.port}], decoder: 'utf8' });
      await redis.call('set', 'packed', 'yes');
      const value = await redis.call('get', 'packed');
      await redis.close();
      const nest = await import('@nestjs/common').then(() => 'present', () => 'absent');
      const otel = await import('@opentelemetry/api').then(() => 'present', () => 'absent');
      console.log(JSON.stringify({ value, reply: typeof ReplyError, nest, otel }));
    `;
    await writeFile(join(app, 'main.mjs'), script);
    const { stdout } = await run('node', ['main.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ value: 'yes', reply: 'function', nest: 'absent', otel: 'absent' });
  });

  it('exports nestjs-justredis/opentelemetry, which says what it needs when @opentelemetry/api is missing', async () => {
    const script = `
      const error = await import('nestjs-justredis/opentelemetry').then(() => null, (err) => err);
      console.log(JSON.stringify({ code: error?.code, missing: /@opentelemetry\\/api/.test(String(error?.message)) }));
    `;
    await writeFile(join(app, 'otel.mjs'), script);
    const { stdout } = await run('node', ['otel.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ code: 'ERR_MODULE_NOT_FOUND', missing: true });
  });

  it('loads nestjs-justredis/keyv and /throttler without their optional peers, and both work', async () => {
    const script = `
      import { Redis } from 'nestjs-justredis/core';
      import { KeyvJustRedis } from 'nestjs-justredis/keyv';
      import { JustRedisThrottlerStorage } from 'nestjs-justredis/throttler';
      const redis = new Redis({ address: ['127.0.0.1', ${server.port}] });
      const store = new KeyvJustRedis(redis, { namespace: 'packed' });
      await store.set('k', 'v', 60000);
      const cached = await store.get('k');
      const record = await new JustRedisThrottlerStorage(redis).increment('packed', 60000, 1, 60000, 'default');
      await store.disconnect();
      const alive = String(await redis.call('ping'));
      await redis.close();
      const peers = await Promise.all(['keyv', '@nestjs/throttler'].map((p) => import(p).then(() => 'present', () => 'absent')));
      console.log(JSON.stringify({ cached, totalHits: record.totalHits, alive, peers }));
    `;
    await writeFile(join(app, 'integrations.mjs'), script);
    const { stdout } = await run('node', ['integrations.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ cached: 'v', totalHits: 1, alive: 'PONG', peers: ['absent', 'absent'] });
  });

  it('ships typings and the testing entry point', async () => {
    const script = `
      import { startRedisServer } from 'nestjs-justredis/testing';
      import { existsSync } from 'node:fs';
      console.log(JSON.stringify({
        start: typeof startRedisServer,
        types: ['index.d.ts', 'core/index.d.ts', 'testing/index.d.ts', 'opentelemetry/index.d.ts', 'microservices/index.d.ts', 'microservices/index.js', 'keyv/index.d.ts', 'throttler/index.d.ts'].every((f) => existsSync('node_modules/nestjs-justredis/dist/' + f)),
      }));
    `;
    await writeFile(join(app, 'testing.mjs'), script);
    const { stdout } = await run('node', ['testing.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ start: 'function', types: true });
  });
});
