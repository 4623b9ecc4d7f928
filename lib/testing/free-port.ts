import { createServer } from 'node:net';

/**
 * A TCP port that is free right now on `host`: the kernel picks one for a listener on
 * port 0, which we close straight away. Another process (for instance the other Jest
 * worker) can grab it before our redis-server binds it, so callers must be ready to
 * retry with a fresh port — `startRedisProcess` does.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}
