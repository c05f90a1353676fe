import type { Harness } from './worker-harness';

export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The Prometheus text format, enough of it for assertions: one sample a line, `name{label="value",...} number`. */
function parseExposition(text: string): Series[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name = '', value = ''] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });
}

export interface Scrape {
  readonly text: string;
  /** The sum of every sample of `name` whose labels include `labels`; 0 when there is none. */
  sum(name: string, labels?: Record<string, string>): number;
  series(name: string, labels?: Record<string, string>): Series[];
}

/** One scrape of the worker's `GET /metrics`. */
export async function scrape(h: Harness): Promise<Scrape> {
  const response = await fetch(`${h.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const all = parseExposition(text);
  const series = (name: string, labels: Record<string, string> = {}) =>
    all.filter((entry) => entry.name === name && Object.entries(labels).every(([key, value]) => entry.labels[key] === value));
  return { text, series, sum: (name, labels) => series(name, labels).reduce((total, entry) => total + entry.value, 0) };
}
