import RequestQueue from 'kafkajs/src/network/requestQueue';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A queue as a kafkajs connection makes one (src/network/connection.js), without a socket. */
function queue(): RequestQueue {
  const Queue = RequestQueue as unknown as new (options: Record<string, unknown>) => RequestQueue;
  return new Queue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'b:1',
    logger: quiet,
  });
}

/** kafkajs 2.2.4's timer for held-back requests (tulios/kafkajs#1751), as our patch has it: armed only when something waits for it. */
describe('kafkajs request queue timer', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeAll(() => {
    process.on('warning', onWarning);
  });
  afterAll(() => {
    process.off('warning', onWarning);
  });

  it('arms no timer after a response when nothing is held back and nothing is throttled (no negative delay, no 1 ms loop)', () => {
    const idle = queue();
    idle.scheduleCheckPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
    expect(warnings.map((warning) => warning.name)).not.toContain('TimeoutNegativeWarning');
  });

  it('still checks held-back requests: after the throttle when throttled, after 10 ms otherwise', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const held = queue();
      const checks = jest.spyOn(held, 'checkPendingRequests').mockImplementation(() => undefined);
      held.pending.push({});
      held.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(9);
      expect(checks).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(checks).toHaveBeenCalledTimes(1);

      const throttled = queue();
      const throttledChecks = jest.spyOn(throttled, 'checkPendingRequests').mockImplementation(() => undefined);
      throttled.throttledUntil = Date.now() + 500;
      throttled.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(499);
      expect(throttledChecks).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(throttledChecks).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
