import { takeTestStack } from './test-stack';

/** Stops what the global setup started: its containers, or the native services that were not already running. */
export default async function globalTeardown(): Promise<void> {
  await takeTestStack()?.stop();
}
