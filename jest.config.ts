import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^nestjs-justredis$': '<rootDir>/lib/index.ts',
    '^nestjs-justredis/(.*)$': '<rootDir>/lib/$1/index.ts',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testTimeout: 30_000,
  maxWorkers: 2,
  // Workers grow to ~1 GB across the real-server suites; a worker that large can take longer
  // than Jest's 500 ms to exit on a loaded 2-core machine ("failed to exit gracefully", with no
  // open handle left). Replacing a worker once it passes this after a file keeps them small.
  workerIdleMemoryLimit: '512MB',
};

export default config;
