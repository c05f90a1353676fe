// globalSetup and globalTeardown run in the same (parent) process, so the start time travels on globalThis.
const key = Symbol.for('billing-enforcer.reliability-suite-started');

export function suiteStarted(at: number): void {
  (globalThis as Record<symbol, unknown>)[key] = at;
}

/** Seconds since the global setup began: the whole suite, stack start-up and teardown included. */
export function suiteSeconds(): number {
  const at = (globalThis as Record<symbol, number | undefined>)[key] ?? Date.now();
  return Math.round((Date.now() - at) / 1000);
}
