import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import type { Decision } from '../domain';
import { runOperatorCommand, type OperatorAction } from '../use-cases/operator-commands';
import { verifyAuditTrail } from '../use-cases/audit-verification';
import { subscriptionTimeline } from '../use-cases/timeline';
import { upcomingDeletions, upcomingWindowEnd } from '../use-cases/upcoming-deletions';
import { defineRoute, serve, type ResponseSpec } from './api-spec';
import type { RouteDeps, RouteModule } from './server';
import {
  auditView,
  auditViewSchema,
  isoTime,
  outcomeSchema,
  statusSchema,
  subscriptionView,
  subscriptionViewSchema,
} from './subscription-view';
import { badRequest, idempotencyHeaders, notFound, operatorText, problemSchema, wholeNumber } from './validation';

const iso = (ms: number): string => new Date(ms).toISOString();

const path = z.object({ id: idSchema.describe('The subscription id') });
const notFoundAnswer = { description: 'No subscription with this id (`"error": "not-found"`).', schema: problemSchema };

const timelineAnswer = z.object({
  subscription: subscriptionViewSchema,
  audit: z.array(auditViewSchema).describe('Oldest first, at most `limit`.'),
  scheduled: z.array(
    z.object({
      kind: z.enum(['deletion', 'reminder']),
      jobId: z.string(),
      dueAt: isoTime,
      offset: z.string().optional().describe("A reminder's offset before deletion (ISO 8601 duration)."),
      jobState: z
        .string()
        .describe("The job's state in Redis (delayed, active, failed, …), or missing when MongoDB expects a job Redis does not have."),
    }),
  ),
});

export const getTimeline = defineRoute({
  method: 'GET',
  url: '/v1/subscriptions/:id/timeline',
  operationId: 'getTimeline',
  tag: 'operations',
  summary: 'A subscription, its audit trail and its planned timers (checked against BullMQ)',
  access: 'operator',
  opsOnly: true,
  request: { path, query: z.strictObject({ limit: wholeNumber(1, 1_000, 1_000) }) },
  responses: { 200: { description: 'The timeline.', schema: timelineAnswer }, 404: notFoundAnswer },
});

const chainHead = z.object({ seq: z.number().int(), hash: z.string() });

const auditVerificationAnswer = z
  .object({
    subscriptionId: z.string(),
    verified: z.boolean().describe('true: every chained record is intact, in place, and the chain ends at the stored head.'),
    chained: z.number().int().describe('Records with a link.'),
    unchained: z.number().int().describe('Records written before the chain existed: shown, not provable.'),
    head: chainHead.nullable().describe('The last good link.'),
    broken: z
      .object({
        kind: z.enum(['edited', 'removed', 'inserted', 'reordered']),
        seq: z.number().int().describe('The place in the chain where it breaks.'),
        recordId: z.string().nullable(),
        message: z.string(),
      })
      .nullable()
      .describe('The first broken link; null when the chain holds.'),
  })
  .meta({ id: 'AuditVerification' });

export const verifyAudit = defineRoute({
  method: 'GET',
  url: '/v1/subscriptions/:id/audit/verify',
  operationId: 'verifyAudit',
  tag: 'operations',
  summary: "The subscription's audit hash chain, verified now (docs/deletion-proof.md)",
  access: 'operator',
  opsOnly: true,
  request: { path },
  responses: { 200: { description: 'The verdict, broken or not.', schema: auditVerificationAnswer }, 404: notFoundAnswer },
});

const deletionsAnswer = z.object({
  items: z.array(
    z.object({
      subscriptionId: z.string(),
      tenantId: z.string(),
      customerId: z.string(),
      status: statusSchema,
      dueAt: isoTime.nullable(),
      legalHold: z.boolean().describe('true: the deletion will not happen when due.'),
      inProgress: z.boolean(),
    }),
  ),
  next: z.string().nullable().describe('Pass back as `after` for the next page; null on the last one.'),
  dueBefore: isoTime.describe('Where the listing stops.'),
});

export const listDeletions = defineRoute({
  method: 'GET',
  url: '/v1/deletions',
  operationId: 'listDeletions',
  tag: 'operations',
  summary: 'Subscriptions whose deletion is due before a date, soonest first',
  access: 'operator',
  opsOnly: true,
  request: {
    query: z.strictObject({
      dueBefore: z.iso
        .datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2026-03-01T00:00:00Z' })
        .transform((text) => Date.parse(text))
        .optional()
        .describe('Default: now + DELETION_DELAY (or LEGAL_HOLD_RELEASE_GRACE if longer), every pending deletion.'),
      limit: wholeNumber(1, 500, 50),
      after: z.string().max(1_000, 'is not a cursor this API gave').optional().describe('The `next` of the previous page.'),
    }),
  },
  responses: { 200: { description: 'One page.', schema: deletionsAnswer } },
});

const commandAnswer = z.object({
  outcome: outcomeSchema.describe('Check it, not only the status code: ignored and stale changed nothing.'),
  reason: z.string().describe('What changed, or no-change.'),
  subscription: subscriptionViewSchema.nullable(),
});

const commandRequest = {
  path,
  headers: idempotencyHeaders,
  body: z.strictObject(
    { reason: operatorText, actor: operatorText.describe('Who is acting: the audit trail records it as the operator.') },
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON object {reason, actor}' : undefined) },
  ),
};

function commandRoute(action: OperatorAction, method: 'POST' | 'DELETE', url: string, operationId: string, summary: string) {
  const responses: Record<number, ResponseSpec> = {
    200: { description: 'The decision and the subscription after it.', schema: commandAnswer },
    404: notFoundAnswer,
  };
  if (action === 'legal-hold-set' || action === 'legal-hold-release') {
    responses[409] = {
      description: 'A legal hold placed when one is in place, or released when there is none: nothing changed.',
      schema: problemSchema.extend(commandAnswer.shape),
    };
  }
  return {
    action,
    route: defineRoute({
      method,
      url,
      operationId,
      tag: 'operations',
      summary,
      description: 'Runs through the same state machine, audit trail and lifecycle events as a Kafka event.',
      access: 'operator',
      opsOnly: true,
      request: commandRequest,
      responses,
    }),
  };
}

export const commandRoutes = [
  commandRoute('legal-hold-set', 'POST', '/v1/subscriptions/:id/legal-hold', 'placeLegalHold', 'Place a legal hold: deletion is blocked'),
  commandRoute('legal-hold-release', 'DELETE', '/v1/subscriptions/:id/legal-hold', 'releaseLegalHold', 'Release the legal hold'),
  commandRoute('suspend', 'POST', '/v1/subscriptions/:id/suspend', 'suspend', 'Place the customer_request hold'),
  commandRoute('resume', 'POST', '/v1/subscriptions/:id/resume', 'resume', 'Lift the customer_request hold'),
  commandRoute('cancel', 'POST', '/v1/subscriptions/:id/cancel', 'cancel', 'Cancel (final)'),
] as const;

/** Why a legal-hold request changed nothing, when that is a conflict the operator must hear about; otherwise null. */
function legalHoldConflict(action: OperatorAction, decision: Decision, subscriptionId: string): string | null {
  if (decision.outcome !== 'applied' || decision.audit.reason !== 'no-change') return null;
  const hold = decision.state?.legalHold ?? null;
  if (action === 'legal-hold-set' && hold !== null) {
    return `subscription ${subscriptionId} is already under legal hold (placed by ${hold.actor} at ${iso(hold.since)}: ${hold.reason}); that hold is kept unchanged`;
  }
  if (action === 'legal-hold-release' && hold === null) return `subscription ${subscriptionId} has no legal hold to release`;
  return null;
}

/** The operator API: a subscription's timeline, upcoming deletions, legal holds and manual commands. ADMIN_TOKEN only. */
export const opsRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  serve(app, deps, getTimeline, async ({ path: { id }, query }, _request, reply) => {
    const timeline = await subscriptionTimeline(deps, id, query.limit);
    if (timeline === null) return notFound(reply, `no subscription ${id}`);
    const answer: z.output<typeof timelineAnswer> = {
      subscription: subscriptionView(timeline.subscription),
      audit: timeline.audit.map(auditView),
      scheduled: timeline.scheduled.map((timer) => ({
        kind: timer.kind,
        jobId: timer.jobId,
        dueAt: iso(timer.dueAt),
        ...(timer.offset === undefined ? {} : { offset: timer.offset }),
        jobState: timer.jobState,
      })),
    };
    return answer;
  });

  // The subscription's audit hash chain, verified now: the first broken link named (docs/deletion-proof.md).
  serve(app, deps, verifyAudit, async ({ path: { id } }, _request, reply) => {
    const result = await verifyAuditTrail(deps, id);
    if (result === null) return notFound(reply, `no subscription ${id}`);
    const answer: z.output<typeof auditVerificationAnswer> = result;
    return answer;
  });

  serve(app, deps, listDeletions, async ({ query }, _request, reply) => {
    const { limit, after } = query;
    // By default every pending deletion: the window the longest delay (or release grace) of any tenant's policy spans.
    const widest = await deps.policies.source.widest();
    const dueBefore = query.dueBefore ?? upcomingWindowEnd(deps.apply.clock(), widest);
    const page = await upcomingDeletions(deps.subscriptions, { dueBefore, limit, after }).catch((error: unknown) => {
      if (error instanceof RangeError) return null;
      throw error;
    });
    if (page === null) return badRequest(reply, [{ path: ['query', 'after'], message: 'is not a cursor this API gave' }]);
    const answer: z.output<typeof deletionsAnswer> = {
      items: page.items.map((state) => ({
        subscriptionId: state.subscriptionId,
        tenantId: state.tenantId,
        customerId: state.customerId,
        status: state.status,
        dueAt: state.deletion === null ? null : iso(state.deletion.dueAt),
        legalHold: state.legalHold !== null,
        inProgress: state.deletion?.claimedAt != null,
      })),
      next: page.next,
      dueBefore: iso(dueBefore),
    };
    return answer;
  });

  for (const { action, route } of commandRoutes) {
    serve(app, deps, route, async ({ path: { id }, headers, body }, _request, reply) => {
      const key = headers['idempotency-key'];
      const result = await runOperatorCommand(deps.apply, {
        subscriptionId: id,
        action,
        actor: body.actor,
        reason: body.reason,
        // Scoped by action: reusing a key for another action must not turn that action into a "duplicate".
        ...(key === undefined ? {} : { requestId: key }),
      });
      if (!result.found) return notFound(reply, `no subscription ${id}`);
      const { decision } = result;
      const answer: z.output<typeof commandAnswer> = {
        outcome: decision.outcome,
        reason: decision.audit.reason,
        subscription: decision.state === null ? null : subscriptionView(decision.state),
      };
      const conflict = legalHoldConflict(action, decision, id);
      if (conflict !== null) return reply.code(409).send({ error: 'conflict', message: conflict, ...answer });
      return reply.code(200).send(answer);
    });
  }
};
