import { useRedisServer } from '../fixtures.js';

describe('useRedisServer()', () => {
  let readTooEarly: unknown;

  describe('in a scope', () => {
    const server = useRedisServer({ password: 'fixture-pw' });
    try {
      void server.port;
    } catch (err) {
      readTooEarly = err;
    }

    it('refuses to be read while the file loads, before beforeAll started the server', () => {
      expect(readTooEarly).toBeInstanceOf(Error);
      expect((readTooEarly as Error).message).toMatch(/useRedisServer\(\).*beforeAll/);
    });

    it('stands for the started server: fields, getters and methods (bound to it)', async () => {
      expect(server.running).toBe(true);
      expect(server.address).toEqual([server.host, server.port]);
      const { cli } = server;
      expect(await cli('ping')).toBe('PONG');
      expect('cli' in server).toBe(true);
    });

    // Handed to the enclosing scope, whose afterAll runs once this scope's hooks (the stop) are done.
    afterAll(() => {
      outer.server = server;
    });
  });

  const outer: { server?: { running: boolean } } = {};
  afterAll(() => {
    // The server was stopped by the fixture at the end of its scope.
    expect(outer.server?.running).toBe(false);
  });
});
