import type { Config } from 'jest';

import { transform } from './jest.config.mts';

/** The fault-injection suite, against a stack of its own (test/reliability/support/reliability-stack.ts). */
const config: Config = {
  displayName: 'reliability',
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
  globalSetup: '<rootDir>/test/reliability/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/reliability/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/reliability/support/timeout.ts'],
};

export default config;
