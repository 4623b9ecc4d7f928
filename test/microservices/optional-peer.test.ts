import { jest } from '@jest/globals';

// As if @nestjs/microservices were not installed: any import of it fails.
jest.unstable_mockModule('@nestjs/microservices', () => {
  throw Object.assign(new Error("Cannot find package '@nestjs/microservices'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

it('loads nestjs-justredis and /core without @nestjs/microservices; only /microservices needs it', async () => {
  const lib = await import('../../lib/index.js');
  expect(typeof lib.JustRedisModule.forRoot).toBe('function');
  expect('JustRedisServer' in lib).toBe(false);
  const core = await import('../../lib/core/index.js');
  expect(typeof core.Redis).toBe('function');
  await expect(import('../../lib/microservices/index.js')).rejects.toThrow("Cannot find package '@nestjs/microservices'");
});
