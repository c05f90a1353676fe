import type { FastifyInstance } from 'fastify';

import type { HttpDeps, RouteModule } from './server';

/** `GET /metrics` for Prometheus, open like the health checks: it names topics and queues, never subscriptions or tokens. */
export const metricsRoutes: RouteModule = (app: FastifyInstance, deps: HttpDeps): void => {
  const exposition = deps.metrics;
  if (exposition === undefined) return;
  app.get('/metrics', async (_request, reply) => {
    const body = await exposition.render();
    return reply.header('content-type', exposition.contentType).header('cache-control', 'no-store').send(body);
  });
};
