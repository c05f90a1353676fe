import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import type { ConsumerProblem } from '../kafka/consumer-health';
import { defineRoute, serve } from './api-spec';
import type { RouteDeps, RouteModule } from './server';

export const consumerProblemSchema = z
  .object({
    consumer: z.string().describe('inbound or dlq-index'),
    cause: z.enum(['retrying', 'unsupported-codec', 'too-large', 'corrupt', 'crash-loop', 'no-progress']),
    topic: z.string().nullable().describe('null for a whole consumer (a crash loop)'),
    partition: z.number().int().nullable(),
    offset: z.string().nullable().describe('The first offset the partition cannot pass, when known'),
    lastOffset: z.string().nullable().describe('The last offset of the batch it cannot pass, when known'),
    sinceMs: z.number(),
    detail: z.string().describe('One line from the client or the decoder, never message bytes'),
  })
  .meta({ id: 'ConsumerProblem' });

/** A problem as its schema says: a field the schema names and ConsumerProblem lacks fails the type check. */
export const problemView = (problem: ConsumerProblem): z.output<typeof consumerProblemSchema> => ({ ...problem });

export const getHealth = defineRoute({
  method: 'GET',
  url: '/healthz',
  operationId: 'getHealth',
  tag: 'health',
  summary: 'Liveness: answers while the process runs',
  access: 'open',
  request: {},
  responses: { 200: { description: 'The process runs.', schema: z.object({ status: z.literal('ok') }) } },
});

const readiness = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.record(z.string(), z.boolean()).describe('mongodb, redis, kafka, partitionsProgressing'),
  problems: z.array(consumerProblemSchema).describe("Why this replica's consumers make no progress"),
});

export const getReadiness = defineRoute({
  method: 'GET',
  url: '/readyz',
  operationId: 'getReadiness',
  tag: 'health',
  summary: 'Readiness: MongoDB and Redis answer, the consumer has joined, no consumer of this replica is stuck',
  access: 'open',
  request: {},
  responses: {
    200: { description: 'Ready.', schema: readiness },
    503: { description: 'Not ready: a check failed or a consumer is stuck (`problems` says where and why).', schema: readiness },
  },
});

/** The health checks: open, so a load balancer or an orchestrator can probe them. */
export const healthRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  serve(app, deps, getHealth, () => ({ status: 'ok' }));
  serve(app, deps, getReadiness, async (_input, _request, reply) => {
    const { checks, problems = [] } = await deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    const answer: z.output<typeof readiness> = { status: ready ? 'ready' : 'not-ready', checks, problems: problems.map(problemView) };
    return reply.code(ready ? 200 : 503).send(answer);
  });
};
