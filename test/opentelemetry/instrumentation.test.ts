import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { freePort, startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { CommunicationError, PipelinedExceptions, Redis, ReplyError } from '../../lib/core/index.js';
import { JustRedisInstrumentation, defaultDbStatementSerializer } from '../../lib/opentelemetry/index.js';

const PASSWORD = 'otel-secret-pw';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let server: RedisServer;
let redis: Redis;
let instrumentation: JustRedisInstrumentation;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  server = await startRedisServer({ password: PASSWORD });
  redis = new Redis({ address: [server.host, server.port], password: PASSWORD, decoder: 'utf8' });
  await redis.call('ping');
});
afterAll(async () => {
  await redis?.close();
  await server?.stop();
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => {
  instrumentation = new JustRedisInstrumentation();
  exporter.reset();
});
afterEach(() => instrumentation.disable());

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();

describe('JustRedisInstrumentation', () => {
  it('makes one CLIENT span per call, a child of the span active when the call was made', async () => {
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('GET /users/:id', async (request) => {
      await redis.call('set', 'otel:a', 'value');
      await redis.modify({ database: 2 }).call('get', 'otel:a');
      request.end();
    });
    await redis.call('get', 'otel:a'); // outside any span: a root span
    const [set, get, parent, root] = spans();
    expect([set.name, get.name, parent.name, root.name]).toEqual(['SET', 'GET', 'GET /users/:id', 'GET']);
    for (const child of [set, get]) {
      expect(child.kind).toBe(SpanKind.CLIENT);
      expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    }
    expect(root.parentSpanContext).toBeUndefined();
    expect(set.attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'SET',
      'db.namespace': '0',
      'db.query.text': 'SET otel:a ?',
      'server.address': server.host,
      'server.port': server.port,
    });
    expect(get.attributes).toMatchObject({ 'db.operation.name': 'GET', 'db.namespace': '2', 'db.query.text': 'GET otel:a' });
    expect(set.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('spans a transaction on an exclusive connection: MULTI, each command, EXEC', async () => {
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('POST /orders', async (request) => {
      await using c = await redis.connection();
      await c.call('multi');
      await c.call('incr', 'otel:orders');
      await c.call('exec');
      request.end();
    });
    const names = spans().map((s) => s.name);
    expect(names).toEqual(['MULTI', 'INCR', 'EXEC', 'POST /orders']);
    const parent = spans()[3];
    for (const span of spans().slice(0, 3)) expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('spans the calls of a push connection: SUBSCRIBE and UNSUBSCRIBE, children of the active span, ended at the write', async () => {
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('subscriber start', async (request) => {
      await using push = await redis.connection({ push: true });
      await push.call('subscribe', 'otel:news');
      await push.call('unsubscribe', 'otel:news');
      request.end();
    });
    const [subscribe, unsubscribe, parent] = spans();
    expect([subscribe.name, unsubscribe.name, parent.name]).toEqual(['SUBSCRIBE', 'UNSUBSCRIBE', 'subscriber start']);
    expect(subscribe.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(subscribe.kind).toBe(SpanKind.CLIENT);
    expect(subscribe.attributes).toMatchObject({ 'db.operation.name': 'SUBSCRIBE', 'server.address': server.host, 'server.port': server.port });
    expect(subscribe.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('sanitizes values in db.query.text by default, and takes a custom serializer', async () => {
    await redis.call('hset', 'otel:h', 'name', 'alice-secret', 'age', 30);
    await redis.call('mset', 'otel:m1', 'v1-secret', 'otel:m2', 'v2-secret');
    // AUTH is refused on the shared path (it would switch the user under every caller): on a taken connection.
    {
      await using taken = await redis.connection();
      await taken.call('auth', PASSWORD);
    }
    await redis.call('config', 'set', 'masterauth', PASSWORD);
    await redis.call('config', 'set', 'masterauth', '');
    const texts = spans().map((s) => s.attributes['db.query.text']);
    expect(texts).toEqual(['HSET otel:h name ? age ?', 'MSET otel:m1 ? otel:m2 ?', 'AUTH ?', 'CONFIG set ? ?', 'CONFIG set ? ?']);
    expect(JSON.stringify(spans().map((s) => s.attributes))).not.toMatch(/secret/);

    instrumentation.disable();
    exporter.reset();
    instrumentation = new JustRedisInstrumentation({ dbStatementSerializer: (command, args) => `${command}(${args.length})` });
    await redis.call('set', 'otel:c', 'v');
    expect(spans()[0].attributes['db.query.text']).toBe('SET(2)');
  });

  it('default serializer: keys and options kept, values hidden, unknown commands fully hidden', () => {
    expect(defaultDbStatementSerializer('GET', ['k'])).toBe('GET k');
    expect(defaultDbStatementSerializer('SET', ['k', 'v', 'EX', 10])).toBe('SET k ? ? ?');
    expect(defaultDbStatementSerializer('MGET', ['a', Buffer.from('b')])).toBe('MGET a b');
    expect(defaultDbStatementSerializer('EVALSHA', ['abc', 2, 'k1', 'k2', 'arg'])).toBe('EVALSHA ? 2 k1 k2 ?');
    expect(defaultDbStatementSerializer('LPUSH', ['list', 'a', 'b'])).toBe('LPUSH list ? ?');
    expect(defaultDbStatementSerializer('MODULE.CMD', ['x', 'y'])).toBe('MODULE.CMD ? ?');
    expect(defaultDbStatementSerializer('PING', [])).toBe('PING');
  });

  it('one span per pipeline, with the batch size', async () => {
    await redis.pipeline([['set', 'otel:p', '1'], ['incr', 'otel:p'], ['get', 'otel:p']]);
    expect(spans()).toHaveLength(1);
    const [span] = spans();
    expect(span.name).toBe('PIPELINE');
    expect(span.attributes).toMatchObject({
      'db.operation.name': 'PIPELINE',
      'db.operation.batch.size': 3,
      'db.query.text': 'SET otel:p ?; INCR otel:p; GET otel:p',
      'server.port': server.port,
    });
  });

  it('marks a ReplyError: error status, exception event, db.response.status_code', async () => {
    await redis.call('set', 'otel:s', 'text');
    await expect(redis.call('lpush', 'otel:s', 'x')).rejects.toThrow(ReplyError);
    await expect(redis.pipeline([['lpush', 'otel:s', 'x']])).rejects.toThrow(PipelinedExceptions);
    const [, incr, pipeline] = spans();
    expect(incr.status).toEqual({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/^WRONGTYPE/) });
    expect(incr.attributes).toMatchObject({ 'db.response.status_code': 'WRONGTYPE', 'error.type': 'WRONGTYPE' });
    expect(incr.events.map((e) => e.name)).toEqual(['exception']);
    // The SDK names the exception by its `code` when it has one.
    expect(incr.events[0].attributes).toMatchObject({ 'exception.type': 'WRONGTYPE', 'exception.message': expect.stringMatching(/^WRONGTYPE/) });
    expect(pipeline.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('marks a CommunicationError: error status and exception event', async () => {
    const port = await freePort();
    await using down = new Redis({ address: ['127.0.0.1', port], connectRetry: 0, poolFactory: 'pool' });
    await expect(down.call('get', 'k')).rejects.toThrow(CommunicationError);
    const [span] = spans();
    expect(span.name).toBe('GET');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(span.events[0].attributes).toMatchObject({ 'exception.type': 'ERR_CONNECT', 'exception.message': expect.stringMatching(/^Could not connect/) });
    expect(span.attributes['error.type']).toBe('ERR_CONNECT');
    expect(span.attributes['db.response.status_code']).toBeUndefined();
  });

  it('disable() stops the spans, enable() brings them back', async () => {
    instrumentation.disable();
    expect(instrumentation.enabled).toBe(false);
    await redis.call('set', 'otel:d', '1');
    await redis.pipeline([['get', 'otel:d']]);
    expect(spans()).toHaveLength(0);
    instrumentation.enable();
    await redis.call('get', 'otel:d');
    expect(spans().map((s) => s.name)).toEqual(['GET']);
  });

  it('disable() ends the spans of calls still in flight, and leaves none open', async () => {
    await using blocker = await redis.connection();
    const pending = blocker.call('blpop', 'otel:never', 5);
    // The start event is synchronous with call(): the span exists, the reply has not come.
    instrumentation.disable();
    expect(spans().map((s) => s.name)).toEqual(['BLPOP']);
    await redis.call('lpush', 'otel:never', 'x');
    expect(await pending).toEqual(['otel:never', 'x']);
    expect(spans()).toHaveLength(1);
  });

  it('uses a tracer provider given in the options instead of the global one', async () => {
    instrumentation.disable();
    const own = new InMemorySpanExporter();
    const ownProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] });
    instrumentation = new JustRedisInstrumentation({ tracerProvider: ownProvider });
    await redis.call('get', 'otel:x');
    expect(own.getFinishedSpans().map((s) => s.name)).toEqual(['GET']);
    expect(spans()).toHaveLength(0);
    await ownProvider.shutdown();
  });
});
