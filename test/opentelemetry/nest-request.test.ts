import { Controller, Get, Injectable, Module, Param, type INestApplication, type NestMiddleware, type MiddlewareConsumer } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { InjectRedis, JustRedisModule, Redis } from '../../lib/index.js';
import { JustRedisInstrumentation } from '../../lib/opentelemetry/index.js';

/**
 * A Nest app whose HTTP requests run inside a server span, as the HTTP instrumentation
 * makes them (here a middleware stands in for it): the Redis calls a controller makes while
 * serving the request are children of that span, through Nest's whole async pipeline.
 */
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

@Injectable()
class RequestSpanMiddleware implements NestMiddleware {
  use(req: { method: string; originalUrl: string }, res: { on(event: 'finish', f: () => void): void }, next: () => void): void {
    trace.getTracer('http').startActiveSpan(`${req.method} ${req.originalUrl}`, { kind: SpanKind.SERVER }, (span) => {
      res.on('finish', () => span.end());
      next();
    });
  }
}

@Controller('users')
class UsersController {
  constructor(@InjectRedis() private readonly redis: Redis) {}

  @Get(':id')
  async find(@Param('id') id: string): Promise<{ id: string; visits: number }> {
    const visits = await this.redis.call('incr', `visits:${id}`);
    await this.redis.pipeline([['set', `seen:${id}`, '1'], ['expire', `seen:${id}`, 60]]);
    return { id, visits };
  }
}

let server: RedisServer;
let app: INestApplication;
let instrumentation: JustRedisInstrumentation;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  instrumentation = new JustRedisInstrumentation();
  server = await startRedisServer();

  @Module({ imports: [JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' })], controllers: [UsersController], providers: [RequestSpanMiddleware] })
  class AppModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(RequestSpanMiddleware).forRoutes('*path');
    }
  }
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
});

afterAll(async () => {
  instrumentation?.disable();
  await app?.close();
  await server?.stop();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

it("puts a request's Redis calls under the request's span", async () => {
  exporter.reset();
  await Promise.all([request(app.getHttpServer()).get('/users/7').expect(200), request(app.getHttpServer()).get('/users/8').expect(200)]);
  const spans = exporter.getFinishedSpans();
  const requests = spans.filter((s) => s.kind === SpanKind.SERVER);
  expect(requests.map((s) => s.name).sort()).toEqual(['GET /users/7', 'GET /users/8']);
  for (const req of requests) {
    const children = spans.filter((s) => s.parentSpanContext?.spanId === req.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(['INCR', 'PIPELINE']);
    const id = req.name.slice(-1);
    expect(children[0].attributes['db.query.text']).toBe(`INCR visits:${id}`);
    expect(children[1].attributes['db.query.text']).toBe(`SET seen:${id} ?; EXPIRE seen:${id} 60`);
    for (const child of children) {
      expect(child.kind).toBe(SpanKind.CLIENT);
      expect(child.spanContext().traceId).toBe(req.spanContext().traceId);
    }
  }
});
