import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import request from 'supertest';
import { freePort, startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { Redis } from '../../lib/index.js';
import { buildForNode, startNodeApp, type NodeApp, type NodeBuild } from '../node-app.js';

// The sample runs as `npm run sample` runs it: compiled, in its own Node process, importing
// the package by name (here the compiled lib/). Jest cannot host it: it uses
// @nestjs/throttler, CommonJS over the ESM-only Nest 12 (see test/node-app.ts).

let server: RedisServer;
let admin: Redis;
let build: NodeBuild;
let app: NodeApp;
let port: number;
let base: string;

beforeAll(async () => {
  await Promise.all([
    startRedisServer().then((s) => (server = s)),
    buildForNode(['sample/src/main.ts', 'sample/src/app.module.ts']).then((b) => (build = b)),
  ]);
  admin = new Redis({ address: ['127.0.0.1', server.port], decoder: 'utf8' });
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = await startNodeApp(join(build.dir, 'sample', 'src', 'main.js'), { REDIS_URL: server.url, PORT: String(port) }, /Listening on http/);
}, 120_000);

afterAll(async () => {
  const code = await app?.stop();
  await admin?.close();
  await Promise.all([server?.stop(), build?.remove()]);
  expect(code).toBe(0);
});

describe('the sample application', () => {
  it('counts', async () => {
    const http = request(base);
    await http.post('/counters/visits/incr').expect(200, { name: 'visits', value: 1 });
    await http.post('/counters/visits/incr?by=5').expect(200, { name: 'visits', value: 6 });
    await http.get('/counters/visits').expect(200, { name: 'visits', value: 6 });
    await http.get('/counters/nothing').expect(200, { name: 'nothing', value: 0 });
    expect(await admin.call('get', 'counter:visits')).toBe('6');
  });

  it('keeps a leaderboard in database 1 through an @InjectRedis view', async () => {
    const http = request(base);
    await http.post('/leaderboard/game').send({ player: 'ann', points: 10 }).expect(200, { player: 'ann', score: 10 });
    await http.post('/leaderboard/game').send({ player: 'bob', points: 25 }).expect(200);
    await http.post('/leaderboard/game').send({ player: 'ann', points: 20 }).expect(200, { player: 'ann', score: 30 });
    await http.post('/leaderboard/game').send({ player: 'eve' }).expect(400);
    await http.get('/leaderboard/game').expect(200, [
      { player: 'ann', score: 30 },
      { player: 'bob', score: 25 },
    ]);
    await http.get('/leaderboard/game?top=1').expect(200, [{ player: 'ann', score: 30 }]);
    expect(await admin.call('zscore', 'board:game', 'ann', { database: 1 })).toBe('30');
    expect(await admin.call('exists', 'board:game')).toBe(0);
  });

  it('hands published events to its @RedisSubscribe handler', async () => {
    const http = request(base);
    await admin.call('publish', 'events', 'from outside');
    await http.post('/counters/clicks/incr').expect(200);
    let recent: unknown[] = [];
    const deadline = Date.now() + 5000;
    while (recent.length < 2 && Date.now() < deadline) recent = (await http.get('/events/recent').expect(200)).body as unknown[];
    expect(recent.slice(0, 2)).toEqual([{ type: 'counter', name: 'clicks', value: 1 }, { type: 'text', text: 'from outside' }]);
  });

  it('streams the events channel as server-sent events', async () => {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/events', headers: { accept: 'text/event-stream' } }, resolve).on('error', reject);
    });
    try {
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/event-stream/);
      response.setEncoding('utf8');
      let body = '';
      const received = new Promise<void>((resolve) => {
        response.on('data', (chunk: string) => {
          body += chunk;
          if (body.includes('data: hello sse')) resolve();
        });
      });
      // The stream's subscription is made as the response starts; publish until it shows up (bounded).
      const publisher = (async () => {
        const deadline = Date.now() + 5000;
        let done = false;
        void received.then(() => (done = true));
        while (!done && Date.now() < deadline) {
          await request(base).post('/events').send({ message: 'hello sse' }).expect(202);
          await Promise.race([received, new Promise((r) => setTimeout(r, 50))]);
        }
      })();
      await received;
      await publisher;
      expect(body).toMatch(/data: hello sse\n\n/);
    } finally {
      response.destroy();
    }
  });

  it('caches results in Redis through cache-manager and KeyvJustRedis', async () => {
    const http = request(base);
    await http.get('/squares/12').expect(200, { n: 12, square: 144, cached: false });
    await http.get('/squares/12').expect(200, { n: 12, square: 144, cached: true });
    expect(await admin.call('exists', 'sample::sample:square:12')).toBe(1);
    expect(await admin.call('pttl', 'sample::sample:square:12')).toBeGreaterThan(0);
  });

  it('rate-limits /squares to 5 calls per 10 s, counted in Redis', async () => {
    const http = request(base);
    // A fresh count: earlier tests called /squares too.
    const counted = async () => {
      const keys: string[] = [];
      for await (const key of admin.scanIterator({ match: 'throttler:*' })) keys.push(key);
      return keys;
    };
    for (const key of await counted()) await admin.call('del', key);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await http.get(`/squares/${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await counted()).length).toBeGreaterThan(0);
  });

  it('answers GET /health with 200 while Redis is up', async () => {
    const res = await request(base).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' } } });
  });
});
