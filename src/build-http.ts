import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';

import { adminRoutes } from './http/admin.routes';
import { apiDocumentText } from './http/api-routes';
import { certificateKeysRoutes } from './http/certificate-keys.routes';
import { dlqRoutes } from './http/dlq.routes';
import { healthRoutes } from './http/health.routes';
import { metricsRoutes } from './http/metrics.routes';
import { openApiRoutes } from './http/openapi.routes';
import { opsRoutes } from './http/ops.routes';
import { policyRoutes } from './http/policy.routes';
import { partitionsRoutes } from './http/partitions.routes';
import { buildHttpServer, type HttpDeps, type RouteModule } from './http/server';
import { subscriptionRoutes } from './http/subscription.routes';
import type { ConsumerProblem } from './kafka/consumer-health';
import type { PartitionSkipRepository } from './storage/partition-skip.repository';

/** Resolves to the check's answer, or false when it fails or takes longer than `ms`. */
async function within(ms: number, check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function pingMongo(connection: Connection): Promise<boolean> {
  try {
    await connection.db?.admin().ping();
    return connection.db !== undefined;
  } catch {
    return false;
  }
}

/** What the HTTP server is built from: the route modules' deps, less what this builder derives itself. */
export interface HttpParts extends Omit<HttpDeps, 'readiness' | 'partitions'> {
  readonly connection: Connection;
  /** Pinged for readiness: the queue's connection. */
  readonly redis: Redis;
  readonly skips: PartitionSkipRepository;
  /** Every consumer's problems now (src/kafka/consumer-health.ts). */
  readonly consumerProblems: () => readonly ConsumerProblem[];
  /** Whether the inbound consumer has started (and not stopped). */
  readonly consuming: () => boolean;
}

/** The HTTP server (not listening yet): the access API always; the ops routes and console when `OPS_ROUTES_ENABLED`. */
export async function buildHttp(parts: HttpParts): Promise<FastifyInstance> {
  const { connection, redis, skips, consumerProblems, consuming, ...deps } = parts;
  return await buildHttpServer(
    {
      ...deps,
      // Each check answers within 2 s: a server that is away makes /readyz say 503, never hang.
      readiness: async () => {
        const [mongodb, redisUp] = await Promise.all([
          within(2_000, pingMongo(connection)),
          within(
            2_000,
            redis.ping().then(() => true),
          ),
        ]);
        // Any consumer that cannot make progress, whatever the cause, and where (src/kafka/consumer-health.ts).
        const problems = consumerProblems();
        return { checks: { mongodb, redis: redisUp, kafka: consuming(), partitionsProgressing: problems.length === 0 }, problems };
      },
      partitions: { health: consumerProblems, skips },
    },
    httpModules(parts.config.OPS_ROUTES_ENABLED),
  );
}

/** The route modules the worker serves: health, the access API, metrics, certificate keys and the OpenAPI document always; the rest with ops routes on. */
export function httpModules(opsRoutesEnabled: boolean): RouteModule[] {
  const always = [healthRoutes, subscriptionRoutes, metricsRoutes, certificateKeysRoutes, openApiRoutes(apiDocumentText())];
  return opsRoutesEnabled ? [...always, opsRoutes, policyRoutes, dlqRoutes, partitionsRoutes, adminRoutes] : always;
}
