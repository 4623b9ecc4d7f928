import { jest } from '@jest/globals';

// As if @nestjs/terminus were not installed: any import of it fails.
jest.unstable_mockModule('@nestjs/terminus', () => {
  throw Object.assign(new Error("Cannot find package '@nestjs/terminus'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

it('loads the package without @nestjs/terminus, and says what is missing only when the health indicator is used', async () => {
  const lib = await import('../../lib/index.js');
  expect(typeof lib.JustRedisModule.forRoot).toBe('function');
  const indicator = new lib.JustRedisHealthIndicator({} as never, {} as never);
  await expect(indicator.onModuleInit()).rejects.toThrow('JustRedisHealthIndicator needs @nestjs/terminus 12');
});
