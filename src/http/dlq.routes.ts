import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { DEAD_LETTER_ID, type DeadLetterView } from '../storage/dead-letter.repository';
import { replayRequest as replayDeadLetterRequest } from '../use-cases/dead-letter-replay';
import { requireToken } from './auth';
import type { RouteDeps, RouteModule } from './server';
import { badRequest, notFound, operatorText, wholeNumber } from './validation';

const letterId = z.string().regex(DEAD_LETTER_ID, 'must be a dead-letter id, <partition>-<offset>');
const filterFields = {
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an error code such as SCHEMA_VIOLATION')
    .optional(),
  sourceTopic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name')
    .optional(),
  status: z.enum(['pending', 'replayed'], { error: 'must be pending or replayed' }).optional(),
};
const listRequest = z.object({
  query: z.strictObject({ ...filterFields, limit: wholeNumber(1, 500, 50), after: z.string().max(1_000).optional() }),
});
const getRequest = z.object({ path: z.object({ id: letterId }) });

const replayBody = z
  .strictObject(
    {
      ids: z.array(letterId).min(1, 'must name at least one letter').max(1_000, 'must name at most 1000 letters').optional(),
      filter: z.strictObject(filterFields).optional(),
      all: z.literal(true, { error: 'must be true when given' }).optional(),
      force: z.boolean({ error: 'must be true or false' }).optional(),
      value: z.string({ error: 'must be a string (the corrected JSON text)' }).min(1, 'must not be empty').optional(),
      actor: operatorText,
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON object' : undefined) },
  )
  .superRefine((body, context) => {
    if (body.ids === undefined && body.filter === undefined && body.all === undefined) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'say what to replay: ids, a filter, or all: true (an empty selection is refused, not taken for everything)',
      });
    }
    if (body.all === true && (body.ids !== undefined || body.filter !== undefined)) {
      context.addIssue({ code: 'custom', path: ['all'], message: 'cannot be combined with ids or filter' });
    }
    if (body.value !== undefined) {
      if (body.ids?.length !== 1)
        context.addIssue({ code: 'custom', path: ['value'], message: 'a corrected value needs exactly one id in ids' });
      try {
        JSON.parse(body.value);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['value'], message: `is not JSON: ${(error as Error).message}` });
      }
    }
  });
const replayRequest = z.object({ body: replayBody });

/** The letter-id and filter rules, for the console's forms. */
export const deadLetterFilterFields = filterFields;
export const deadLetterIdSchema = letterId;

/** The listing leaves the bytes out (a letter may hold megabytes); `GET /v1/dlq/{id}` has them. */
function summary(letter: DeadLetterView): Omit<DeadLetterView, 'value' | 'correctedValue' | 'corrections'> {
  const { value: _value, correctedValue: _corrected, corrections: _corrections, ...rest } = letter;
  return rest;
}

/** Dead letters: search the indexed dead-letter topic and replay letters to their source topic. ADMIN_TOKEN only. */
export const dlqRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const adminAuth = requireToken([deps.config.ADMIN_TOKEN], 'ADMIN_TOKEN', deps.authFailures);
  const { decoder } = deps.inbound;

  app.get('/v1/dlq', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = listRequest.safeParse({ query: request.query });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { limit, after, ...filter } = parsed.data.query;
    const page = await deps.deadLetters.list(filter, { limit, ...(after === undefined ? {} : { after }) }).catch((error: unknown) => {
      if (error instanceof RangeError) return null;
      throw error;
    });
    if (page === null) return badRequest(reply, [{ path: ['query', 'after'], message: 'is not a cursor this API gave' }]);
    return { items: page.items.map(summary), next: page.next, total: await deps.deadLetters.count(filter) };
  });

  app.get('/v1/dlq/:id', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = getRequest.safeParse({ path: request.params });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const letter = await deps.deadLetters.get(parsed.data.path.id);
    return letter ?? notFound(reply, `no dead letter ${parsed.data.path.id}`);
  });

  app.post('/v1/dlq/replay', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = replayRequest.safeParse({ body: request.body ?? {} });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { ids, filter, force, value, actor } = parsed.data.body;
    const answer = await replayDeadLetterRequest(
      { store: deps.deadLetters, producer: deps.producer, clock: deps.apply.clock, decoder },
      {
        force: force ?? false,
        actor,
        ...(ids === undefined ? {} : { ids }),
        ...(filter === undefined ? {} : { filter }),
        ...(value === undefined ? {} : { value }),
      },
    );
    if (answer.ok) return { replayed: answer.replayed, skipped: answer.skipped, failed: answer.failed };
    if (answer.status === 404) return notFound(reply, answer.message);
    if (answer.status === 422) return await reply.code(422).send({ error: 'unprocessable', message: `body.value: ${answer.message}` });
    return badRequest(reply, [{ path: answer.path, message: answer.message }]);
  });
};
