import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

import type { Logger } from '../logging/logger';
import type { SubscriptionRepository } from '../storage/subscription.repository';
import { subscriptionRoutes } from './subscription.routes';

export interface HttpDeps {
  readonly subscriptions: SubscriptionRepository;
  readonly adminToken?: string | undefined;
  readonly accessToken?: string | undefined;
  readonly readiness: () => Promise<Record<string, boolean>>;
  readonly logger: Logger;
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  // Per-request lines would drown the worker's own; errors still come through at warn and above.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'http' }, { level: 'warn' });
  const app: FastifyInstance = Fastify({ loggerInstance, bodyLimit: 64 * 1024 });

  app.setErrorHandler(async (error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    // Internal details (connection strings among them) stay in the logs.
    await reply
      .code(status)
      .send({ error: status >= 500 ? 'internal' : 'bad-request', message: status >= 500 ? 'internal error' : error.message });
  });

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = await deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
  subscriptionRoutes(app, deps);
  return app;
}
