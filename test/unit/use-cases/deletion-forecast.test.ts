import { foldByDay, forecastWindowEnd } from '../../../src/use-cases/deletion-forecast';
import { upcomingWindowDays, upcomingWindowEnd } from '../../../src/use-cases/upcoming-deletions';

const DAY = 86_400_000;
const NOW = Date.parse('2026-01-10T15:00:00Z');

describe('deletion forecast by UTC day', () => {
  it('puts each instant on its UTC day from today, counts the past as overdue, and drops what lies at or past the window end', () => {
    const forecast = foldByDay(
      [
        { dueAt: NOW - DAY, count: 2 }, // overdue
        { dueAt: NOW + 1, count: 1 }, // later today
        { dueAt: Date.parse('2026-01-10T23:59:59.999Z'), count: 1 }, // still today
        { dueAt: Date.parse('2026-01-11T00:00:00Z'), count: 4 }, // tomorrow's first instant
        { dueAt: Date.parse('2026-01-12T08:00:00Z'), count: 3 },
        { dueAt: Date.parse('2026-01-13T14:59:59.999Z'), count: 5 }, // the window's last instant
        { dueAt: Date.parse('2026-01-13T15:00:00Z'), count: 9 }, // the window's end: beyond
      ],
      NOW,
      3,
    );
    expect(forecast).toEqual({
      overdue: 2,
      windowDays: 3,
      days: [
        { day: '2026-01-10', count: 2 },
        { day: '2026-01-11', count: 4 },
        { day: '2026-01-12', count: 3 },
        { day: '2026-01-13', count: 5 },
      ],
    });
  });

  it('counts what the list of upcoming deletions shows: everything due before now + 60 days, even at 59 d 23 h', () => {
    // The ops page lists deletions due before now + 60 days (upcomingDeletions' dueBefore).
    const end = NOW + 60 * DAY;
    const rows = Array.from({ length: 10 }, (_, n) => ({ dueAt: NOW + 59 * DAY + 23 * 3_600_000 + n, count: 1 }));
    const listed = rows.filter((row) => row.dueAt < end).length;
    const forecast = foldByDay(rows, NOW, 60);
    expect(forecast.days.reduce((sum, day) => sum + day.count, 0)).toBe(listed);
    expect(listed).toBe(10);
  });

  it('ends the window where the list of upcoming deletions ends', () => {
    expect(forecastWindowEnd(NOW, 60)).toBe(NOW + 60 * DAY);
  });

  it('lists every day, with zeros, when nothing is due', () => {
    const forecast = foldByDay([], NOW, 60);
    expect(forecast.overdue).toBe(0);
    expect(forecast.days).toHaveLength(61);
    expect(forecast.days.at(-1)).toEqual({ day: '2026-03-11', count: 0 });
    expect(forecast.days.every((day) => day.count === 0)).toBe(true);
    expect(foldByDay([], Date.parse('2026-01-10T00:00:00Z'), 60).days).toHaveLength(60);
  });
});

describe('the window of upcoming deletions', () => {
  it('spans the configured delay (or a longer release grace) in whole days, at least one', () => {
    expect(upcomingWindowDays({ deletionDelayMs: 90 * DAY, legalHoldReleaseGraceMs: 7 * DAY })).toBe(90);
    expect(upcomingWindowDays({ deletionDelayMs: 60 * DAY, legalHoldReleaseGraceMs: 7 * DAY })).toBe(60);
    expect(upcomingWindowDays({ deletionDelayMs: 3_000, legalHoldReleaseGraceMs: 10 * DAY + 1 })).toBe(11);
    expect(upcomingWindowDays({ deletionDelayMs: 3_000, legalHoldReleaseGraceMs: 1_000 })).toBe(1);
  });

  it('ends where the forecast of as many days ends, so the list and the count agree', () => {
    const policy = { deletionDelayMs: 90 * DAY, legalHoldReleaseGraceMs: 7 * DAY };
    expect(upcomingWindowEnd(NOW, policy)).toBe(forecastWindowEnd(NOW, 90));
  });
});
