import type { FastifyInstance } from 'fastify';

import { defineRoute, serve } from './api-spec';
import { OPENAPI_PATH } from './openapi';
import type { RouteDeps, RouteModule } from './server';

export const getOpenApi = defineRoute({
  method: 'GET',
  url: OPENAPI_PATH,
  operationId: 'getOpenApi',
  tag: 'health',
  summary: 'This document',
  description: 'Open like the health checks: it describes the routes, never data. The same text as docs/contract/openapi.json.',
  access: 'open',
  request: {},
  responses: { 200: { description: 'The OpenAPI 3.1 document.', contentType: 'application/json' } },
});

/** Serves `text`, the document src/http/api-routes.ts makes (passed in: that registry lists this route too). */
export function openApiRoutes(text: string): RouteModule {
  return (app: FastifyInstance, deps: RouteDeps): void => {
    serve(app, deps, getOpenApi, (_input, _request, reply) =>
      reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-cache').send(text),
    );
  };
}
