import { stackEnvKeys } from './stack-env';
import { chooseTestStack, rememberTestStack } from './test-stack';

/**
 * Starts (or finds) the one stack this test run uses and publishes its settings as process.env: jest runs this in
 * the parent process before it forks its workers, which inherit the environment.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const stack = await chooseTestStack(process.env);
  rememberTestStack(stack);
  for (const key of stackEnvKeys) process.env[key] = stack.connection[key];
  process.stderr.write(`\nintegration stack: ${stack.description} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
