import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommunicationError, Redis } from 'nestjs-justredis';
import { startRedisServer } from 'nestjs-justredis/testing';

const logger = new Logger('Sample');

/** Whether a Redis server answers PING at `url` (a refused or timed-out connection means no). */
async function answers(url: string): Promise<boolean> {
  const probe = Redis.fromUrl(url, { connectRetry: 0, connectTimeout: 1000 });
  try {
    await probe.call('ping');
    return true;
  } catch (err) {
    if (err instanceof CommunicationError) return false;
    return true; // it answered, if only to refuse (a wrong password is reported by the app itself)
  } finally {
    await probe.close();
  }
}

async function bootstrap(): Promise<void> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  let cleanup = async (): Promise<void> => {};
  if (!(await answers(url))) {
    const server = await startRedisServer();
    process.env.REDIS_URL = server.url;
    cleanup = () => server.stop();
    logger.warn(`Nothing answered at ${url.replace(/\/\/[^@/]*@/, '//***@')}: started a throwaway redis-server at ${server.url} (it stops with the app)`);
  }

  // Imported once REDIS_URL is settled, so the configuration reads the final value.
  const { AppModule } = await import('./app.module.js');
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  // What `app.enableShutdownHooks()` does, plus stopping the throwaway server once the
  // app (and so every Redis client) is closed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: closing`);
      void app
        .close()
        .catch((err: unknown) => logger.error(`closing failed: ${String(err)}`))
        .then(cleanup)
        .then(() => process.exit(0), () => process.exit(1));
    });
  }

  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  logger.log(`Listening on http://127.0.0.1:${port} — try: curl -X POST localhost:${port}/counters/visits/incr, curl localhost:${port}/health`);
}

bootstrap().catch((err: unknown) => {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
