import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { get, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { Redis } from '../../lib/index.js';

// The sample imports the package by name, as an application would; here that name is the
// library's source, so the test needs no build.
jest.unstable_mockModule('nestjs-justredis', () => import('../../lib/index.js'), { virtual: true });

let server: RedisServer;
let admin: Redis;
let app: INestApplication;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis({ address: ['127.0.0.1', server.port], decoder: 'utf8' });
  process.env.REDIS_URL = server.url;
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../../sample/src/app.module.js');
  app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
  await admin?.close();
  await server?.stop();
  delete process.env.REDIS_URL;
});

describe('the sample application', () => {
  it('counts', async () => {
    const http = request(app.getHttpServer());
    await http.post('/counters/visits/incr').expect(200, { name: 'visits', value: 1 });
    await http.post('/counters/visits/incr?by=5').expect(200, { name: 'visits', value: 6 });
    await http.get('/counters/visits').expect(200, { name: 'visits', value: 6 });
    await http.get('/counters/nothing').expect(200, { name: 'nothing', value: 0 });
    expect(await admin.call('get', 'counter:visits')).toBe('6');
  });

  it('keeps a leaderboard in database 1 through an @InjectRedis view', async () => {
    const http = request(app.getHttpServer());
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
    const http = request(app.getHttpServer());
    await admin.call('publish', 'events', 'from outside');
    await http.post('/counters/clicks/incr').expect(200);
    let recent: unknown[] = [];
    const deadline = Date.now() + 5000;
    while (recent.length < 2 && Date.now() < deadline) recent = (await http.get('/events/recent').expect(200)).body as unknown[];
    expect(recent.slice(0, 2)).toEqual([{ type: 'counter', name: 'clicks', value: 1 }, { type: 'text', text: 'from outside' }]);
  });

  it('streams the events channel as server-sent events', async () => {
    const { port } = app.getHttpServer().address() as { port: number };
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
          await request(app.getHttpServer()).post('/events').send({ message: 'hello sse' }).expect(202);
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

  it('answers GET /health with 200 while Redis is up', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' } } });
  });
});
