import { InvalidDurationError, parseDuration } from '../../../src/domain';
import { DAY, HOUR, MINUTE, SECOND } from '../../support/factories';

describe('parseDuration', () => {
  it.each([
    ['P60D', 60 * DAY],
    ['P1D', DAY],
    ['P0D', 0],
    ['P2W', 14 * DAY],
    ['P1W2D', 9 * DAY],
    ['PT12H', 12 * HOUR],
    ['PT5M', 5 * MINUTE],
    ['PT5S', 5 * SECOND],
    ['PT0.5S', 500],
    ['PT0.001S', 1],
    ['P1DT12H', DAY + 12 * HOUR],
    ['P1DT1H1M1S', DAY + HOUR + MINUTE + SECOND],
    ['PT90M', 90 * MINUTE],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '60D',
    'p60d',
    'P60d',
    ' P60D',
    'P60D ',
    '-P1D',
    'P-1D',
    'P1.5D',
    'PT1.5H',
    'P1H',
    'PT1D',
    'P1D1W',
    'PT.5S',
    'sixty days',
  ])('%j is refused', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidDurationError);
    expect(() => parseDuration(text)).toThrow(
      `not an ISO 8601 duration of weeks, days, hours, minutes or seconds: ${JSON.stringify(text)}`,
    );
  });

  it.each(['P1Y', 'P2M', 'P1Y2M', 'P1M1D'])('%s is refused with a hint that years and months have no fixed length', (text) => {
    expect(() => parseDuration(text)).toThrow(/years and months are not fixed lengths: use days, e\.g\. P60D/);
  });

  it('PT2M is two minutes, not two months, and needs no hint', () => {
    expect(parseDuration('PT2M')).toBe(2 * MINUTE);
  });

  it('the error is named for logs', () => {
    expect(new InvalidDurationError('x').name).toBe('InvalidDurationError');
  });
});
