import type { FastifyInstance } from 'fastify';

import { defineRoute, serve } from './api-spec';
import type { RouteDeps, RouteModule } from './server';

export const getMetrics = defineRoute({
  method: 'GET',
  url: '/metrics',
  operationId: 'getMetrics',
  tag: 'health',
  summary: 'Prometheus metrics',
  description: 'Open like the health checks: it names topics and queues, never subscriptions or tokens.',
  access: 'open',
  request: {},
  responses: { 200: { description: 'The Prometheus text exposition.', contentType: 'text/plain; version=0.0.4; charset=utf-8' } },
});

/** `GET /metrics` for Prometheus, when the app exports metrics. */
export const metricsRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const exposition = deps.metrics;
  if (exposition === undefined) return;
  serve(app, deps, getMetrics, async (_input, _request, reply) => {
    const body = await exposition.render();
    return reply.header('content-type', exposition.contentType).header('cache-control', 'no-store').send(body);
  });
};
