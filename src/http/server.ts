import type { PolicyDeps } from '../use-cases/tenant-policies';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import type { DeadLetterStore } from '../storage/dead-letter.repository';
import type { DeadLetterProducer } from '../use-cases/dead-letter-replay';
import type { InboundTable } from '../use-cases/inbound-table';
import type { ApplyDeps } from '../use-cases/apply-commands';
import type { ConsoleSources } from './console/sources';
import type { AuditRepository } from '../storage/audit.repository';
import type { SubscriptionRepository } from '../storage/subscription.repository';
import { parseDuration } from '../domain';
import { ERROR_CODES, isAppError } from '../errors';
import type { ConsumerProblem } from '../kafka/consumer-health';
import type { PartitionSkipRepository } from '../storage/partition-skip.repository';
import { AuthFailureLimiter } from './auth-failures';

/** Everything a route module may need; the composition root (app.ts) fills it once. */
export interface HttpDeps {
  readonly config: Readonly<Config>;
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
  readonly queue: Queue;
  /** Every BullMQ queue the worker has (today the timer queue); Bull Board shows each. */
  readonly queues: readonly Queue[];
  /** Messages held in the dead-letter topic (end minus start offsets over its partitions). */
  readonly deadLetterCount: () => Promise<number>;
  /** The Prometheus exposition for `GET /metrics`; absent when the app runs without exported metrics. */
  readonly metrics?: { readonly contentType: string; render(): Promise<string> };
  /** What the HTTP routes themselves report (access-API latency); absent, nothing is recorded. */
  readonly observe?: Pick<Metrics, 'accessRequest'>;
  /** The inbound topics and their decoder, built once by the composition root (src/use-cases/inbound-table.ts). */
  readonly inbound: InboundTable;
  /** The same path Kafka events take, for operators' manual commands. */
  readonly apply: ApplyDeps;
  /** Tenants' policy versions, previews and re-plans (policy.routes.ts, the console's policy page, the windows). */
  readonly policies: PolicyDeps;
  /** The dead-letter topic indexed in MongoDB, and the producer that replays letters to their source topics. */
  readonly deadLetters: DeadLetterStore;
  readonly producer: DeadLetterProducer;
  readonly readiness: () => Promise<Readiness>;
  /** The consumers' problems and operators' skip approvals (src/http/partitions.routes.ts); absent: routes off. */
  readonly partitions?: PartitionDeps;
  /** Consumer lag now and over the last hour, for the ops console's health page; absent, the page says unavailable. */
  readonly console?: ConsoleSources;
  readonly logger: Logger;
}

/** Each check passes or not; `problems` says why a consumer is not making progress (topic, partition, cause). */
export interface Readiness {
  readonly checks: Readonly<Record<string, boolean>>;
  readonly problems?: readonly ConsumerProblem[];
}

export interface PartitionDeps {
  /** This replica's consumers' problems, as /readyz reports them. */
  readonly health: () => readonly ConsumerProblem[];
  readonly skips: PartitionSkipRepository;
}

const CLIENT_ERRORS: Readonly<Record<number, string>> = {
  400: 'bad-request',
  409: 'conflict',
  422: 'unprocessable',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
};

/** What the server builds once and shares between its route modules. */
export interface RouteDeps extends HttpDeps {
  /** Failed authentications per client address, over every route that takes a token. */
  readonly authFailures: AuthFailureLimiter;
}

/** Registers one group of routes; each lives in its own file (`*.routes.ts`). */
export type RouteModule = (app: FastifyInstance, deps: RouteDeps) => void | Promise<void>;

export async function buildHttpServer(deps: HttpDeps, modules: readonly RouteModule[]): Promise<FastifyInstance> {
  // Per-request lines would drown the worker's own; errors still come through at warn and above.
  const level = deps.logger.levels.values[deps.logger.level] ?? 0;
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'http' }, { level: level > 40 ? deps.logger.level : 'warn' });
  const app: FastifyInstance = Fastify({ loggerInstance, bodyLimit: 64 * 1024 });

  app.setErrorHandler(async (error: { statusCode?: number; message: string }, request, reply) => {
    if (isAppError(error) && error.retriable) {
      // A busy subscription or a dependency away: the caller should try again shortly, not report a bug.
      request.log.warn({ err: error }, 'request deferred');
      await reply
        .code(ERROR_CODES[error.code].http)
        .header('retry-after', '5')
        .send({ error: 'unavailable', message: `${error.code}: try again shortly` });
      return;
    }
    // An AppError answers its code's status (src/errors.ts); fastify's own errors carry theirs; anything else is a bug.
    const status = isAppError(error) ? ERROR_CODES[error.code].http : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    const retryAfter = isAppError(error) ? error.context.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    // Internal details (connection strings among them) stay in the logs.
    const label = status >= 500 ? 'internal' : (CLIENT_ERRORS[status] ?? 'client-error');
    await reply.code(status).send({ error: label, message: status >= 500 ? 'internal error' : error.message });
  });

  const authFailures = new AuthFailureLimiter(
    { burst: deps.config.AUTH_FAILURE_BURST, intervalMs: parseDuration(deps.config.AUTH_FAILURE_INTERVAL) },
    deps.apply.clock,
  );
  for (const register of modules) await register(app, { ...deps, authFailures });
  return app;
}
