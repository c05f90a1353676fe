import { PrometheusMetrics } from '../../../src/metrics/prometheus';

/** Scrapes once (the readings run as their gauges are collected), then reads the counter per source. */
async function scrapeErrors(metrics: PrometheusMetrics): Promise<{ redis: number; mongodb: number }> {
  await metrics.render();
  const counter = metrics.registry.getSingleMetric('billing_enforcer_scrape_errors_total');
  const values = (await counter?.get())?.values ?? [];
  const of = (source: string) => values.find((value) => value.labels.source === source)?.value ?? 0;
  return { redis: of('redis'), mongodb: of('mongodb') };
}

/** A scrape-time reading that fails is counted under the server it reads from. */
describe('scrape errors by source', () => {
  function metricsWith(failing: 'outboxBacklog' | 'pendingDeadLetters' | 'subscriptionsByStatus'): PrometheusMetrics {
    const metrics = new PrometheusMetrics({ eventTypes: [], defaultMetrics: false });
    const down = () => Promise.reject(new Error('server away'));
    metrics.watch({
      consumerLag: () => Promise.resolve([]),
      queues: [],
      outboxBacklog: failing === 'outboxBacklog' ? down : () => Promise.resolve(0),
      pendingDeadLetters: failing === 'pendingDeadLetters' ? down : () => Promise.resolve(0),
      subscriptionsByStatus:
        failing === 'subscriptionsByStatus' ? down : () => Promise.resolve({ active: 0, suspended: 0, cancelled: 0, deleted: 0 }),
    });
    return metrics;
  }

  it('counts a failed outbox backlog reading (pending-effects marks, in Redis) as redis', async () => {
    expect(await scrapeErrors(metricsWith('outboxBacklog'))).toEqual({ redis: 1, mongodb: 0 });
  });

  it.each(['pendingDeadLetters', 'subscriptionsByStatus'] as const)('counts a failed %s reading (MongoDB) as mongodb', async (failing) => {
    expect(await scrapeErrors(metricsWith(failing))).toEqual({ redis: 0, mongodb: 1 });
  });
});
