/**
 * ISO 8601 durations of fixed length: weeks, days, hours, minutes and (fractional) seconds, such as `P60D`, `PT5S`, `P1DT12H`.
 * Years and months are refused: their length depends on the calendar, and a deletion date must not.
 */
const PATTERN = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError';
}

export function parseDuration(text: string): number {
  const match = PATTERN.exec(text);
  if (match === null || text === 'P' || text.endsWith('T')) {
    const hint = /^P.*[YM]/.test(text) && !text.includes('T') ? ' (years and months are not fixed lengths: use days, e.g. P60D)' : '';
    throw new InvalidDurationError(`not an ISO 8601 duration of weeks, days, hours, minutes or seconds: ${JSON.stringify(text)}${hint}`);
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const n = (value: string | undefined): number => (value === undefined ? 0 : Number(value));
  return Math.round(((((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60 + n(seconds)) * 1000);
}
