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

/**
 * What a set of services must undo, registered as each is opened and undone newest first by `close()`: every step
 * runs even when one fails, and a second `close()` returns the first one's promise. The worker (src/app.ts) and each
 * CLI command (src/cli/services.ts) own one; a start-up that fails half-way closes what had opened.
 */
export class Teardown {
  private readonly steps: TeardownStep[] = [];

  add(name: string, step: () => unknown): void {
    this.steps.push([name, step]);
  }

  /** Opens a resource and registers its closing in one move, so nothing opened is ever left off the list. */
  async open<T>(name: string, opening: Promise<T>, close: (resource: T) => unknown): Promise<T> {
    const resource = await opening;
    this.add(name, () => close(resource));
    return resource;
  }

  readonly close = once(() => runEveryStep(this.steps.splice(0).reverse()));
}
