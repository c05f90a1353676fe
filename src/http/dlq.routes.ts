import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { DEAD_LETTER_ID, type DeadLetterView } from '../storage/dead-letter.repository';
import { replayRequest as replayDeadLetterRequest } from '../use-cases/dead-letter-replay';
import { defineRoute, serve } from './api-spec';
import type { RouteDeps, RouteModule } from './server';
import { isoTime } from './subscription-view';
import { badRequest, notFound, operatorText, problemSchema, wholeNumber } from './validation';

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
const time = isoTime.nullable();
const deadLetterSummary = z
  .object({
    id: z.string().describe('<dlq partition>-<dlq offset>'),
    status: z.enum(['pending', 'replayed']),
    dlqPartition: z.number().int(),
    dlqOffset: z.string(),
    sourceTopic: z.string().nullable(),
    sourcePartition: z.number().int().nullable(),
    sourceOffset: z.string().nullable(),
    code: z.string().nullable().describe('The error code (docs/errors.md)'),
    reason: z.string().nullable(),
    failedAt: time,
    key: z.string().nullable(),
    valueBytes: z.number().int().nullable(),
    valuePreview: z.string().nullable().describe('The first 2 KB of the value as UTF-8 text'),
    headers: z.array(z.object({ name: z.string(), value: z.string(), encoding: z.enum(['utf8', 'base64', 'null']) })),
    replayOf: z.string().nullable().describe('The letter this one is a replay of, when a replayed message failed again'),
    truncated: z
      .object({ parts: z.string(), valueBytes: z.number().int().nullable(), valueSha256: z.string().nullable() })
      .nullable()
      .describe('Set when the sink cut the letter to fit the topic'),
    replayedAt: time,
    replayedBy: z.string().nullable(),
    replayCount: z.number().int(),
  })
  .meta({ id: 'DeadLetterSummary' });
const deadLetter = deadLetterSummary
  .extend({
    value: z.string().nullable().describe('base64 of the original value; null when it had none or it was too large to keep'),
    correctedValue: z.string().nullable().describe('The last correction replayed, base64'),
    corrections: z.array(z.object({ actor: z.string(), at: isoTime, value: z.string().describe('base64') })),
  })
  .meta({ id: 'DeadLetter' });

/** A letter as its schema says: a field the schema names and the repository's view lacks fails the type check. */
function letterView(view: DeadLetterView): z.output<typeof deadLetter> {
  return { ...view, headers: [...view.headers], corrections: [...view.corrections] };
}

export const listDeadLetters = defineRoute({
  method: 'GET',
  url: '/v1/dlq',
  operationId: 'listDeadLetters',
  tag: 'dead letters',
  summary: 'Dead letters in dead-letter topic order, without their bytes',
  access: 'operator',
  opsOnly: true,
  request: {
    query: z.strictObject({
      ...filterFields,
      limit: wholeNumber(1, 500, 50),
      after: z.string().max(1_000).optional().describe('The `next` of the previous page'),
    }),
  },
  responses: {
    200: {
      description: 'One page, and the total for the whole filter.',
      schema: z.object({ items: z.array(deadLetterSummary), next: z.string().nullable(), total: z.number().int() }),
    },
  },
});

export const getDeadLetter = defineRoute({
  method: 'GET',
  url: '/v1/dlq/:id',
  operationId: 'getDeadLetter',
  tag: 'dead letters',
  summary: 'One dead letter with its bytes',
  access: 'operator',
  opsOnly: true,
  request: { path: z.object({ id: letterId }) },
  responses: {
    200: { description: 'The letter.', schema: deadLetter },
    404: { description: 'No dead letter with this id.', schema: problemSchema },
  },
});

export const replayDeadLetters = defineRoute({
  method: 'POST',
  url: '/v1/dlq/replay',
  operationId: 'replayDeadLetters',
  tag: 'dead letters',
  summary: 'Replay letters to their source topics (ids, a filter, or all: true)',
  description:
    'An empty selection is refused, never taken for everything. `value` (with exactly one id) replaces the original value and is checked as the worker will check it. See docs/http-api.md, "POST /v1/dlq/replay".',
  access: 'operator',
  opsOnly: true,
  request: { body: replayBody },
  responses: {
    200: {
      description: 'What was sent, skipped (already replayed, or not replayable) and refused by the broker.',
      schema: z.object({
        replayed: z.number().int(),
        skipped: z.number().int(),
        failed: z.array(z.object({ id: z.string(), error: z.string() })),
      }),
    },
    404: { description: 'An id names no letter; nothing was replayed.', schema: problemSchema },
    422: { description: 'A corrected `value` the worker would dead-letter again.', schema: problemSchema },
  },
});

/** The letter-id and filter rules, for the console's forms. */
export const deadLetterFilterFields = filterFields;
export const deadLetterIdSchema = letterId;

/** The listing leaves the bytes out (a letter may hold megabytes); `GET /v1/dlq/{id}` has them. */
function summary(letter: DeadLetterView): z.output<typeof deadLetterSummary> {
  const { value: _value, correctedValue: _corrected, corrections: _corrections, ...rest } = letterView(letter);
  return rest;
}

/** Dead letters: search the indexed dead-letter topic and replay letters to their source topic. ADMIN_TOKEN only. */
export const dlqRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const { decoder } = deps.inbound;

  serve(app, deps, listDeadLetters, async ({ query }, _request, reply) => {
    const { limit, after, ...filter } = query;
    const page = await deps.deadLetters.list(filter, { limit, ...(after === undefined ? {} : { after }) }).catch((error: unknown) => {
      if (error instanceof RangeError) return null;
      throw error;
    });
    if (page === null) return badRequest(reply, [{ path: ['query', 'after'], message: 'is not a cursor this API gave' }]);
    return { items: page.items.map(summary), next: page.next, total: await deps.deadLetters.count(filter) };
  });

  serve(app, deps, getDeadLetter, async ({ path: { id } }, _request, reply) => {
    const letter = await deps.deadLetters.get(id);
    return letter === null ? notFound(reply, `no dead letter ${id}`) : letterView(letter);
  });

  serve(app, deps, replayDeadLetters, async ({ body }, _request, reply) => {
    const { ids, filter, force, value, actor } = body;
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
