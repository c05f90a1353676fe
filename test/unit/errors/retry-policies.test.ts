import { AppError } from '../../../src/errors';
import { partitionBackoffMs, timerRetries } from '../../../src/retry-policies';

describe('retry policies', () => {
  it('the timer retries exactly what the error table calls retriable', () => {
    expect(timerRetries(new AppError('DEPENDENCY_UNAVAILABLE', 'away'))).toBe(true);
    expect(timerRetries(new AppError('VERSION_CONFLICT', 'lost'))).toBe(true);
    expect(timerRetries(new AppError('SUBSCRIPTION_BUSY', 'held'))).toBe(true);
    expect(timerRetries(new AppError('SCHEMA_VIOLATION', 'bad'))).toBe(false);
    expect(timerRetries(new AppError('INTERNAL', 'bug'))).toBe(false);
    // An error with no code is a bug: the same run would fail the same way again.
    expect(timerRetries(new Error('unmapped'))).toBe(false);
  });

  it('the partition backoff doubles from 400 ms, capped by RETRY_BACKOFF_MAX and by its exponent', () => {
    expect([1, 2, 3].map((failures) => partitionBackoffMs(failures, 60_000))).toEqual([400, 800, 1_600]);
    expect(partitionBackoffMs(8, 30_000)).toBe(30_000);
    expect(partitionBackoffMs(50, Number.MAX_SAFE_INTEGER)).toBe(200 * 2 ** 10);
  });
});
