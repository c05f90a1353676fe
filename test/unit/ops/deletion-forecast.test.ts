import { foldByDay } from '../../../src/ops/deletion-forecast';

const DAY = 86_400_000;
const NOW = Date.parse('2026-01-10T15:00:00Z');

describe('deletion forecast by UTC day', () => {
  it('puts each instant on its UTC day from today, counts the past as overdue, and drops what lies beyond', () => {
    const forecast = foldByDay(
      [
        { dueAt: NOW - DAY, count: 2 }, // overdue
        { dueAt: NOW + 1, count: 1 }, // later today
        { dueAt: Date.parse('2026-01-10T23:59:59.999Z'), count: 1 }, // still today
        { dueAt: Date.parse('2026-01-11T00:00:00Z'), count: 4 }, // tomorrow's first instant
        { dueAt: Date.parse('2026-01-12T08:00:00Z'), count: 3 },
        { dueAt: Date.parse('2026-01-13T00:00:00Z'), count: 9 }, // beyond a 3-day window
      ],
      NOW,
      3,
    );
    expect(forecast).toEqual({
      overdue: 2,
      days: [
        { day: '2026-01-10', count: 2 },
        { day: '2026-01-11', count: 4 },
        { day: '2026-01-12', count: 3 },
      ],
    });
  });

  it('lists every day, with zeros, when nothing is due', () => {
    const forecast = foldByDay([], NOW, 60);
    expect(forecast.overdue).toBe(0);
    expect(forecast.days).toHaveLength(60);
    expect(forecast.days.at(-1)).toEqual({ day: '2026-03-10', count: 0 });
    expect(forecast.days.every((day) => day.count === 0)).toBe(true);
  });
});
