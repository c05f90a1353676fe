import type { StackConnection } from '../../tools/stack/layout';

/** The three settings every integration test (and the worker) connects with. */
export const stackEnvKeys = ['KAFKA_BROKERS', 'MONGODB_URI', 'REDIS_URL'] as const satisfies readonly (keyof StackConnection)[];

/** The connection settings when all three are set in `env`, otherwise undefined. */
export function stackConnectionFrom(env: NodeJS.ProcessEnv): StackConnection | undefined {
  const { KAFKA_BROKERS, MONGODB_URI, REDIS_URL } = env;
  if (!KAFKA_BROKERS || !MONGODB_URI || !REDIS_URL) return undefined;
  return { KAFKA_BROKERS, MONGODB_URI, REDIS_URL };
}

/** The settings published by the global setup; throws with a hint when a test runs without it. */
export function stackConnection(): StackConnection {
  const connection = stackConnectionFrom(process.env);
  if (connection === undefined) {
    const missing = stackEnvKeys.filter((key) => !process.env[key]);
    throw new Error(
      `${missing.join(', ')} not set: integration tests get them from test/support/global-setup.ts (run them with --selectProjects integration)`,
    );
  }
  return connection;
}
