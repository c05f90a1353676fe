import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { approvePartitionSkip, SKIP_NOTE, skipRequestSchema, skipView } from '../use-cases/partition-skips';
import { requireToken } from './auth';
import type { RouteDeps, RouteModule } from './server';
import { badRequest } from './validation';

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/**
 * Partitions that cannot make progress, and the way out for a record batch the worker cannot decode: an approval to
 * skip it, carried out by whichever replica owns the partition (it dead-letters the batch first). ADMIN_TOKEN only.
 */
export const partitionsRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const partitions = deps.partitions;
  if (partitions === undefined) return;
  const adminAuth = requireToken([deps.config.ADMIN_TOKEN], 'ADMIN_TOKEN', deps.authFailures);

  app.get('/v1/partitions', { preHandler: adminAuth }, async (request, reply) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success)
      return badRequest(
        reply,
        query.error.issues.map((issue) => ({ ...issue, path: ['query', ...issue.path] })),
      );
    const skips = await partitions.skips.list(query.data.limit);
    return {
      problems: partitions.health(),
      skips: skips.map(skipView),
    };
  });

  app.post('/v1/partitions/skips', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = skipRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success)
      return badRequest(
        reply,
        parsed.error.issues.map((issue) => ({ ...issue, path: ['body', ...issue.path] })),
      );
    const skip = await approvePartitionSkip(partitions.skips, parsed.data, deps.inbound.topics);
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
