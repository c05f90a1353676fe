/** One panel: throughput (y) against a setting (x), one point per measured variant. */
export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly pass: boolean }[];
}

const W = 360;
const H = 240;
const M = { left: 56, right: 16, top: 32, bottom: 44 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round axis maximum (1, 2 or 5 times a power of ten) at or above `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function panel(p: Panel, offsetX: number): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const yMax = niceMax(Math.max(0, ...p.points.map((point) => point.y)));
  // Categorical x: settings such as 50/200/500/1000 are read as choices, not a continuous scale.
  const xs = p.points.map((point) => point.x);
  const xAt = (index: number) => M.left + (xs.length === 1 ? plotW / 2 : (index * plotW) / (xs.length - 1));
  const yAt = (y: number) => M.top + plotH - (y / yMax) * plotH;
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escape(p.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    const py = yAt(y).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" font-size="10">${Math.round(y)}</text>`);
  }
  p.points.forEach((point, index) => {
    parts.push(`<text x="${xAt(index).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="10">${point.x}</text>`);
  });
  const path = p.points.map((point, index) => `${index === 0 ? 'M' : 'L'}${xAt(index).toFixed(1)},${yAt(point.y).toFixed(1)}`).join(' ');
  if (p.points.length > 1) parts.push(`<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="2"/>`);
  p.points.forEach((point, index) => {
    const fill = point.pass ? '#1f6feb' : '#d1242f';
    parts.push(
      `<circle cx="${xAt(index).toFixed(1)}" cy="${yAt(point.y).toFixed(1)}" r="4" fill="${fill}"><title>${Math.round(point.y)} events/s</title></circle>`,
    );
  });
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${escape(p.xLabel)}</text>`);
  parts.push(`<text transform="translate(14,${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">events/s</text>`);
  parts.push('</g>');
  return parts.join('\n');
}

/** Side-by-side panels as a standalone SVG document; a red point marks a variant whose correctness check failed. */
export function renderChart(panels: readonly Panel[], caption: string): string {
  const width = W * Math.max(1, panels.length);
  const height = H + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels.map((p, index) => panel(p, index * W)),
    `<text x="8" y="${height - 6}" font-size="10" fill="#555">${escape(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
