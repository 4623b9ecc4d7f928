/**
 * `nestjs-justredis`: the client (everything of `nestjs-justredis/core`) and the NestJS
 * module. `@nestjs/terminus` is loaded only when `JustRedisHealthIndicator` is used.
 */
export * from './core/index.js';
export * from './nest/index.js';
