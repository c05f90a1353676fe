/** One step of a shutdown: a name for the error message, and what to do. */
export type TeardownStep = readonly [name: string, step: () => unknown];

/**
 * Runs every step in order, even when one fails (so one failure never leaves a connection open), then throws one
 * AggregateError naming each step that failed.
 */
export async function runEveryStep(steps: readonly TeardownStep[]): Promise<void> {
  const failed: { name: string; error: unknown }[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      failed.push({ name, error });
    }
  }
  if (failed.length > 0)
    throw new AggregateError(
      failed.map((failure) => failure.error),
      `shutdown: ${failed.map((failure) => failure.name).join(', ')} failed`,
    );
}

/** Makes `stop` idempotent: every caller after the first gets the first call's promise (as BullMQ's Worker.close()). */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}
