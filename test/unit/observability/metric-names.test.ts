import { readFileSync } from 'node:fs';
import path from 'node:path';

import { eventTypes } from '../../../consumers/routes';
import { PrometheusMetrics } from '../../../src/metrics/prometheus';

const DIR = path.resolve(__dirname, '../../../deploy/observability');

// PromQL words that are not metric names: operators, modifiers and literals.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads: identifiers outside strings, label matchers and ranges, not called as functions. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name = '', call] = match;
    if (call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.push(name);
  }
  return names;
}

function dashboardExpressions(): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null)
      for (const [key, value] of Object.entries(node)) {
        if (key === 'expr' && typeof value === 'string') found.push(value);
        else walk(value);
      }
  };
  walk(JSON.parse(readFileSync(path.join(DIR, 'grafana-dashboard.json'), 'utf8')));
  return found;
}

/** Every `expr:` of the rules file, inline or as a block scalar (`expr: |` and the lines indented under it). */
function ruleExpressions(): string[] {
  const lines = readFileSync(path.join(DIR, 'prometheus-rules.yml'), 'utf8').split('\n');
  const found: string[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)(?:- )?expr:\s*(.*)$/.exec(line);
    if (match === null) return;
    const [, indent = '', inline = ''] = match;
    if (!/^[|>]/.test(inline)) {
      found.push(inline);
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent.length) break;
      block.push(next);
    }
    found.push(block.join('\n'));
  });
  return found;
}

/** What the worker registers, with the series a histogram or summary adds. */
function exportedNames(): Set<string> {
  const metrics = new PrometheusMetrics({ eventTypes });
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    names.add(metric.name);
    const type = (metric as unknown as { type?: string }).type;
    if (type === 'histogram' || type === 'summary')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

/** The `cause` values of billing_enforcer_consumer_stalled: the gauge sets every one it knows to 0 at each scrape. */
async function exportedStallCauses(): Promise<Set<string>> {
  const metrics = new PrometheusMetrics({ eventTypes });
  metrics.watch({ consumerLag: () => Promise.resolve([]), queues: [], consumerProblems: () => [] });
  const stalled = await metrics.registry.getSingleMetric('billing_enforcer_consumer_stalled')?.get();
  return new Set((stalled?.values ?? []).map((value) => String(value.labels.cause)));
}

/** Every cause a rule matches on billing_enforcer_consumer_stalled (`cause="x"` or `cause=~"x|y"`). */
function alertedStallCauses(): string[] {
  const causes: string[] = [];
  for (const expr of ruleExpressions())
    for (const match of expr.matchAll(/billing_enforcer_consumer_stalled\{[^}]*\bcause=~?"([^"]*)"/g))
      causes.push(...(match[1] ?? '').split('|'));
  return causes;
}

describe('deploy/observability', () => {
  const exported = exportedNames();

  it('finds metric names in PromQL, and only them', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{code="2xx"}[5m]))) > 0.25 and on (topic) changes(b[10m]) == 0 or vector(1)',
      ),
    ).toEqual(['a_seconds_bucket', 'b']);
  });

  it.each([
    ['the Grafana dashboard', dashboardExpressions],
    ['the Prometheus rules', ruleExpressions],
  ])('%s query only metrics the worker exports', (_name, expressions) => {
    const queries = expressions();
    expect(queries.length).toBeGreaterThan(5);
    const used = [...new Set(queries.flatMap(metricNames))];
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('alerts on every consumer problem that does not pass by itself, by a cause the worker reports', async () => {
    const exportedCauses = await exportedStallCauses();
    const alerted = alertedStallCauses();
    // A renamed cause would leave a rule matching nothing, silently.
    expect(alerted.filter((cause) => !exportedCauses.has(cause))).toEqual([]);
    expect(new Set(alerted)).toEqual(new Set(['unsupported-codec', 'corrupt', 'crash-loop', 'no-progress']));
  });
});
