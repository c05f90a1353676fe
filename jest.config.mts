import type { Config } from 'jest';

export const transform: Config['transform'] = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

/**
 * Unit tests need no services; integration tests share one stack started by the global setup. The fault-injection
 * suite has a config of its own (jest.reliability.config.mts): it restarts servers and runs for minutes.
 *
 * ES module (`.mts`), which Node 24 runs as it is with its types stripped: a `.ts` config in this CommonJS package
 * made jest's first attempt (Node's own require) fail with a warning at every run before it fell back to ts-node.
 */
const config: Config = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/load-stack-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};

export default config;
