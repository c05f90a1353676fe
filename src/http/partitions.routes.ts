import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { approvePartitionSkip, SKIP_NOTE, skipRequestSchema, skipView } from '../use-cases/partition-skips';
import { defineRoute, serve } from './api-spec';
import { consumerProblemSchema, problemView } from './health.routes';
import type { RouteDeps, RouteModule } from './server';
import { isoTime } from './subscription-view';

const skipSchema = z
  .object({
    id: z.string(),
    topic: z.string(),
    partition: z.number().int(),
    fromOffset: z.string(),
    toOffset: z.string(),
    actor: z.string(),
    reason: z.string(),
    requestedAt: isoTime,
    skipped: z
      .array(z.object({ firstOffset: z.string(), lastOffset: z.string(), at: isoTime }))
      .describe('The batches it let through; empty until the owning replica meets one'),
  })
  .meta({ id: 'PartitionSkip' });

const partitionsAnswer = z.object({ problems: z.array(consumerProblemSchema), skips: z.array(skipSchema) });

export const listPartitions = defineRoute({
  method: 'GET',
  url: '/v1/partitions',
  operationId: 'listPartitions',
  tag: 'partitions',
  summary: "This replica's stuck partitions, and the latest skip approvals of every replica",
  access: 'operator',
  opsOnly: true,
  request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
  responses: {
    200: {
      description: 'Problems (as /readyz reports them) and approvals, newest first.',
      schema: partitionsAnswer,
    },
  },
});

export const approveSkip = defineRoute({
  method: 'POST',
  url: '/v1/partitions/skips',
  operationId: 'approvePartitionSkip',
  tag: 'partitions',
  summary: 'Approve skipping the undecodable record batches of one partition within an offset range',
  description: 'Changes nothing by itself: the replica that owns the partition dead-letters such a batch first, then commits past it.',
  access: 'operator',
  opsOnly: true,
  request: { body: skipRequestSchema },
  responses: {
    201: {
      description: 'Recorded: the approval as GET /v1/partitions lists it, and what happens next.',
      schema: skipSchema.extend({ note: z.string() }),
    },
  },
});

/**
 * Partitions that cannot make progress, and the way out for a record batch the worker cannot decode: an approval to
 * skip it, carried out by whichever replica owns the partition (it dead-letters the batch first). ADMIN_TOKEN only.
 */
export const partitionsRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const partitions = deps.partitions;
  if (partitions === undefined) return;

  serve(app, deps, listPartitions, async ({ query }) => {
    const skips = await partitions.skips.list(query.limit);
    const answer: z.output<typeof partitionsAnswer> = {
      problems: partitions.health().map(problemView),
      skips: skips.map(skipView),
    };
    return answer;
  });

  serve(app, deps, approveSkip, async ({ body }, _request, reply) => {
    const skip = await approvePartitionSkip(partitions.skips, body, deps.inbound.topics);
    deps.logger.warn(
      {
        topic: skip.topic,
        partition: skip.partition,
        fromOffset: skip.fromOffset,
        toOffset: skip.toOffset,
        actor: skip.actor,
        skip: skip._id,
      },
      'partition skip approved',
    );
    return reply.code(201).send({ ...skipView(skip), note: SKIP_NOTE });
  });
};
