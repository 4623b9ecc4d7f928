import diagnostics_channel from 'node:diagnostics_channel';
import { context, trace, SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { COMMAND_CHANNEL, type CommandContext, RedisError, ReplyError } from '../core/index.js';
import { defaultDbStatementSerializer, type DbStatementSerializer } from './db-statement.js';

const NAME = 'nestjs-justredis';
const VERSION = '0.1.0';

export interface JustRedisInstrumentationConfig {
  /** Start listening at once (default true); otherwise call `enable()`. */
  enabled?: boolean;
  /** Builds `db.query.text`; the default keeps command names and keys and hides values. */
  dbStatementSerializer?: DbStatementSerializer;
  /** Where the tracer comes from; the global provider (`trace.setGlobalTracerProvider`) by default. */
  tracerProvider?: TracerProvider;
}

/**
 * OpenTelemetry spans for every `call()` and `pipeline()`, built from the
 * `nestjs-justredis:command` diagnostics channel: nothing is patched, and disabling it
 * unsubscribes (the client then pays nothing). One CLIENT span per call or pipeline, named
 * after the operation (`GET`, `PIPELINE`), a child of the context active when the call was
 * made, with the database semantic-convention attributes.
 */
export class JustRedisInstrumentation {
  #tracer: Tracer;
  #enabled = false;
  readonly #serializer: DbStatementSerializer;
  /** Spans of calls in flight, by the channel's context object. */
  readonly #spans = new Map<object, Span>();
  readonly #channel = diagnostics_channel.tracingChannel<CommandContext, CommandContext>(COMMAND_CHANNEL);
  readonly #handlers = {
    start: (message: CommandContext) => this.#start(message),
    end: (message: CommandContext) => {
      // A synchronous throw has no asyncEnd: the span ends here.
      if (message.error !== undefined) this.#finish(message);
    },
    asyncStart: () => {},
    asyncEnd: (message: CommandContext) => this.#finish(message),
    error: () => {},
  };

  constructor(config: JustRedisInstrumentationConfig = {}) {
    if (config.dbStatementSerializer !== undefined && typeof config.dbStatementSerializer !== 'function') {
      throw new TypeError('dbStatementSerializer must be a function (command, args) => string');
    }
    this.#serializer = config.dbStatementSerializer ?? defaultDbStatementSerializer;
    this.#tracer = (config.tracerProvider ?? trace.getTracerProvider()).getTracer(NAME, VERSION);
    if (config.enabled !== false) this.enable();
  }

  /** Uses another provider's tracer from now on. */
  setTracerProvider(provider: TracerProvider): void {
    this.#tracer = provider.getTracer(NAME, VERSION);
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  enable(): void {
    if (this.#enabled) return;
    this.#enabled = true;
    this.#channel.subscribe(this.#handlers);
  }

  /** Stops making spans. Spans of calls still in flight end now (their outcome would never reach us). */
  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    this.#channel.unsubscribe(this.#handlers);
    for (const span of this.#spans.values()) span.end();
    this.#spans.clear();
  }

  #start(message: CommandContext): void {
    const attributes: Attributes = {
      'db.system.name': 'redis',
      'db.operation.name': message.command,
      'db.namespace': String(message.database),
    };
    try {
      attributes['db.query.text'] = this.#statement(message);
    } catch {
      // A user serializer that throws costs the attribute, never the call.
    }
    if (message.batchSize !== undefined) attributes['db.operation.batch.size'] = message.batchSize;
    const span = this.#tracer.startSpan(message.command, { kind: SpanKind.CLIENT, attributes }, context.active());
    this.#spans.set(message, span);
  }

  #statement(message: CommandContext): string {
    if (message.commands === undefined) return this.#serializer(message.command, message.args);
    return message.commands.map((c) => this.#serializer(c.command, c.args)).join('; ');
  }

  #finish(message: CommandContext): void {
    const span = this.#spans.get(message);
    if (span === undefined) return;
    this.#spans.delete(message);
    if (message.serverAddress !== undefined) span.setAttribute('server.address', message.serverAddress);
    if (message.serverPort !== undefined) span.setAttribute('server.port', message.serverPort);
    const error = message.error;
    if (error !== undefined) {
      const err = error instanceof Error ? error : new Error(String(error));
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      span.setAttribute('error.type', err instanceof RedisError ? err.code : err.name);
      if (err instanceof ReplyError) span.setAttribute('db.response.status_code', err.code);
    }
    span.end();
  }
}
