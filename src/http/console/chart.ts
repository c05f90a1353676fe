import { STATUSES, type Status } from '../../domain';
import type { DeletionForecast } from '../../use-cases/deletion-forecast';
import { html, type Html } from '../html';
import { number } from './format';

/** A rounded axis top: 1, 2, 5 × 10ⁿ at or above `max`. */
function axisTop(max: number): number {
  if (max <= 4) return Math.max(1, max);
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map((step) => step * magnitude).find((top) => top >= max) ?? 10 * magnitude;
}

/** Deletions per day as an inline SVG bar chart: no script, readable without hovering (counts on the bars, weekly labels). */
export function deletionChart(forecast: DeletionForecast): Html {
  const width = 1040;
  const height = 230;
  const left = 36;
  const right = 8;
  const top = 16;
  const bottom = 30;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const max = axisTop(Math.max(0, ...forecast.days.map((day) => day.count)));
  const slot = plotWidth / Math.max(1, forecast.days.length);
  const barWidth = Math.max(2, slot * 0.72);
  const y = (count: number): number => top + plotHeight - (count / max) * plotHeight;
  const ticks = max <= 4 ? Array.from({ length: max + 1 }, (_, index) => index) : [0, max / 2, max];
  const gridLines = ticks.map(
    (tick) =>
      html`<line class="grid-line" x1="${left}" x2="${width - right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" /><text
          x="${left - 6}"
          y="${(y(tick) + 4).toFixed(1)}"
          text-anchor="end"
          >${number(tick)}</text
        >`,
  );
  const bars = forecast.days.map((day, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    const label = index === 0 ? 'today' : index % 7 === 0 ? day.day.slice(5) : '';
    const tip = `${day.day}: ${number(day.count)} deletion${day.count === 1 ? '' : 's'}`;
    return html`${
      day.count > 0
        ? html`<rect
              class="bar${index === 0 ? ' today' : ''}"
              x="${x.toFixed(1)}"
              y="${y(day.count).toFixed(1)}"
              width="${barWidth.toFixed(1)}"
              height="${(top + plotHeight - y(day.count)).toFixed(1)}"
              rx="2"
              ><title>${tip}</title></rect
            ><text class="value" x="${(x + barWidth / 2).toFixed(1)}" y="${(y(day.count) - 3).toFixed(1)}" text-anchor="middle"
              >${number(day.count)}</text
            >`
        : html`<rect x="${x.toFixed(1)}" y="${top}" width="${barWidth.toFixed(1)}" height="${plotHeight}" fill="transparent"
            ><title>${tip}</title></rect
          >`
    }${label === '' ? '' : html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle">${label}</text>`}`;
  });
  const total = forecast.days.reduce((sum, day) => sum + day.count, 0);
  return html`<svg
    class="chart"
    viewBox="0 0 ${width} ${height}"
    role="img"
    aria-label="${`${number(total)} deletions due in the next ${forecast.days.length} days, per day`}"
  >
    ${gridLines}
    <line class="base" x1="${left}" x2="${width - right}" y1="${top + plotHeight}" y2="${top + plotHeight}" />
    ${bars}
  </svg>`;
}

/** The statuses' shares as one stacked bar. */
export function mixBar(statuses: Readonly<Record<Status, number>>, total: number): Html {
  let offset = 0;
  const parts = STATUSES.filter((status) => statuses[status] > 0).map((status) => {
    const width = (statuses[status] / total) * 100;
    const part = html`<rect class="${status}" x="${offset.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="6"
      ><title>${`${status}: ${number(statuses[status])}`}</title></rect
    >`;
    offset += width;
    return part;
  });
  return html`<svg class="mix" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
    <rect class="empty" width="100" height="6" />
    ${parts}
  </svg>`;
}

/** A small line of a series over time (lag over the last hour), with its last value in the label. */
export function sparkline(points: readonly { at: number; value: number }[], label: string): Html {
  if (points.length < 2) return html`<span class="muted">trend after two readings</span>`;
  const width = 160;
  const height = 32;
  const first = points[0]?.at ?? 0;
  const span = Math.max(1, (points.at(-1)?.at ?? first) - first);
  const max = Math.max(1, ...points.map((point) => point.value));
  const coordinates = points
    .map(
      (point) =>
        `${(((point.at - first) / span) * (width - 2) + 1).toFixed(1)},${(height - 2 - (point.value / max) * (height - 4)).toFixed(1)}`,
    )
    .join(' ');
  return html`<svg class="spark" viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}">
    <polyline points="${coordinates}" />
  </svg>`;
}
