import { Controller, Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { JustRedisHealthIndicator, JustRedisModule } from '../../lib/index.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: JustRedisHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.redis.isHealthy('redis'), () => this.redis.isHealthy('cache', { client: 'cache', timeout: 300 })]);
  }
}

let server: RedisServer;
let app: INestApplication;
let indicator: JustRedisHealthIndicator;

beforeAll(async () => {
  server = await startRedisServer();
  const moduleRef = await Test.createTestingModule({
    imports: [
      JustRedisModule.forRoot({ url: server.url }),
      JustRedisModule.forRoot({ name: 'cache', url: server.url, connectRetry: 0 }),
      TerminusModule.forRoot({ logger: false }),
    ],
    controllers: [HealthController],
    providers: [JustRedisHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  indicator = app.get(JustRedisHealthIndicator);
});

afterAll(async () => {
  await app?.close();
  await server?.stop();
});

describe('JustRedisHealthIndicator', () => {
  it('is up when the server answers PING', async () => {
    expect(await indicator.isHealthy('redis')).toEqual({ redis: expect.objectContaining({ status: 'up' }) });
    const address = `${server.host}:${server.port}`;
    expect(await indicator.isHealthy('redis')).toEqual({
      redis: expect.objectContaining({ status: 'up', pools: [{ address, shared: 1, exclusiveInUse: 0, exclusiveIdle: 0, waiters: 0 }] }),
    });
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' }, cache: { status: 'up' } } });
  });

  it('refuses a timeout a timer cannot hold (Infinity, >= 2^31 ms, negative) with a RangeError', async () => {
    for (const timeout of [Infinity, 2 ** 31, -1]) {
      await expect(indicator.isHealthy('redis', { timeout })).rejects.toThrow(RangeError);
    }
    expect(await indicator.isHealthy('redis', { timeout: 2 ** 31 - 1 })).toEqual({ redis: expect.objectContaining({ status: 'up' }) });
  });

  it('is down for an unknown client name', async () => {
    expect(await indicator.isHealthy('x', { client: 'nope' })).toEqual({ x: { status: 'down', message: expect.stringContaining('nope') } });
  });

  it('is down when the server does not answer in time, and up again once it does', async () => {
    await server.pause();
    try {
      const res = await request(app.getHttpServer()).get('/health').expect(503);
      expect(res.body).toMatchObject({ status: 'error', error: { cache: { status: 'down', message: expect.stringMatching(/timeout/) } } });
    } finally {
      await server.resume();
    }
    await request(app.getHttpServer()).get('/health').expect(200);
  });

  it('is down when the server is gone', async () => {
    await server.stop();
    const result = await indicator.isHealthy('cache', { client: 'cache', timeout: 2000 });
    expect(result.cache.status).toBe('down');
    expect(String(result.cache.message)).toMatch(/127\.0\.0\.1|connect|closed/i);
    await request(app.getHttpServer()).get('/health').expect(503);
  });
});
