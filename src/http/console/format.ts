import type { Millis } from '../../domain';
import { html } from '../html';

export const number = (value: number): string => value.toLocaleString('en-US');
export const iso = (ms: Millis): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
export const isoMinute = (ms: Millis): string => iso(ms).slice(0, 16);

/** `in 11 d 23 h`, `overdue 2 h 5 min`, `3 min ago`: the two largest units. */
export function relative(ms: Millis, now: Millis, past: 'overdue' | 'ago' = 'overdue'): string {
  const delta = ms - now;
  const minutes = Math.floor(Math.abs(delta) / 60_000);
  const [days, hours, mins] = [Math.floor(minutes / 1_440), Math.floor(minutes / 60) % 24, minutes % 60];
  const text = days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${mins} min` : `${mins} min`;
  if (delta >= 0) return `in ${text}`;
  return past === 'ago' ? `${text} ago` : `overdue ${text}`;
}

export const unavailable = html`<p class="bad">unavailable (see the worker's logs)</p>`;
