/**
 * `nestjs-justredis/opentelemetry`: OpenTelemetry spans for the client, built on its
 * diagnostics channels. Needs `@opentelemetry/api` (an optional peer dependency).
 */
export { JustRedisInstrumentation, type JustRedisInstrumentationConfig } from './instrumentation.js';
export { defaultDbStatementSerializer, type DbStatementSerializer } from './db-statement.js';
