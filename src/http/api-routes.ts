import type { RouteSpec } from './api-spec';
import { getCertificateKeys } from './certificate-keys.routes';
import { approveSkip, listPartitions } from './partitions.routes';
import { getDeadLetter, listDeadLetters, replayDeadLetters } from './dlq.routes';
import { getHealth, getReadiness } from './health.routes';
import { getMetrics } from './metrics.routes';
import { openApiText } from './openapi';
import { getOpenApi } from './openapi.routes';
import { commandRoutes, getTimeline, listDeletions, verifyAudit } from './ops.routes';
import { policyRouteSpecs } from './policy.routes';
import { getAccess, getSubscription } from './subscription.routes';

/**
 * Every JSON route the worker serves, in the document's order. A new route is declared with `defineRoute` next to its
 * handler, registered with `serve`, and listed here; test/unit/http/openapi.test.ts fails for a route fastify
 * registers that this list lacks.
 */
export const API_ROUTES: readonly RouteSpec[] = [
  getHealth,
  getReadiness,
  getMetrics,
  getOpenApi,
  getCertificateKeys,
  getSubscription,
  getAccess,
  getTimeline,
  verifyAudit,
  listDeletions,
  ...commandRoutes.map(({ route }) => route),
  ...policyRouteSpecs,
  listDeadLetters,
  getDeadLetter,
  replayDeadLetters,
  listPartitions,
  approveSkip,
];

/** The OpenAPI document of API_ROUTES, as docs/contract/openapi.json holds it. */
export const apiDocumentText = (): string => openApiText(API_ROUTES);
