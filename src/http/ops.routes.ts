import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import type { Decision } from '../domain';
import { runOperatorCommand, type OperatorAction } from '../use-cases/operator-commands';
import { subscriptionTimeline } from '../use-cases/timeline';
import { upcomingDeletions, upcomingWindowEnd } from '../use-cases/upcoming-deletions';
import { requireToken } from './auth';
import type { RouteDeps, RouteModule } from './server';
import { auditView, subscriptionView } from './subscription-view';
import { badRequest, idempotencyHeaders, notFound, operatorText, wholeNumber } from './validation';

const iso = (ms: number): string => new Date(ms).toISOString();

const path = z.object({ id: idSchema });
const timelineRequest = z.object({ path, query: z.strictObject({ limit: wholeNumber(1, 1_000, 1_000) }) });
const deletionsRequest = z.object({
  query: z.strictObject({
    dueBefore: z.iso
      .datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2026-03-01T00:00:00Z' })
      .transform((text) => Date.parse(text))
      .optional(),
    limit: wholeNumber(1, 500, 50),
    after: z.string().max(1_000, 'is not a cursor this API gave').optional(),
  }),
});
const commandRequest = z.object({
  path,
  headers: idempotencyHeaders,
  body: z.strictObject(
    { reason: operatorText, actor: operatorText },
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON object {reason, actor}' : undefined) },
  ),
});

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
  const adminAuth = requireToken([deps.config.ADMIN_TOKEN], 'ADMIN_TOKEN', deps.authFailures);

  app.get('/v1/subscriptions/:id/timeline', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = timelineRequest.safeParse({ path: request.params, query: request.query });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { id } = parsed.data.path;
    const timeline = await subscriptionTimeline(deps, id, parsed.data.query.limit);
    if (timeline === null) return notFound(reply, `no subscription ${id}`);
    return {
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
  });

  app.get('/v1/deletions', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = deletionsRequest.safeParse({ query: request.query });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { limit, after } = parsed.data.query;
    // By default every pending deletion: the window the longest delay (or release grace) of any tenant's policy spans.
    const widest = (await deps.policies?.source.widest()) ?? deps.apply.policy;
    const dueBefore = parsed.data.query.dueBefore ?? upcomingWindowEnd(deps.apply.clock(), widest);
    const page = await upcomingDeletions(deps.subscriptions, { dueBefore, limit, after }).catch((error: unknown) => {
      if (error instanceof RangeError) return null;
      throw error;
    });
    if (page === null) return badRequest(reply, [{ path: ['query', 'after'], message: 'is not a cursor this API gave' }]);
    return {
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
  });

  const command =
    (action: OperatorAction) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const parsed = commandRequest.safeParse({ path: request.params, headers: request.headers, body: request.body ?? {} });
      if (!parsed.success) return badRequest(reply, parsed.error.issues);
      const { id } = parsed.data.path;
      const key = parsed.data.headers['idempotency-key'];
      const result = await runOperatorCommand(deps.apply, {
        subscriptionId: id,
        action,
        actor: parsed.data.body.actor,
        reason: parsed.data.body.reason,
        // Scoped by action: reusing a key for another action must not turn that action into a "duplicate".
        ...(key === undefined ? {} : { requestId: key }),
      });
      if (!result.found) return notFound(reply, `no subscription ${id}`);
      const { decision } = result;
      const answer = {
        outcome: decision.outcome,
        reason: decision.audit.reason,
        subscription: decision.state === null ? null : subscriptionView(decision.state),
      };
      const conflict = legalHoldConflict(action, decision, id);
      if (conflict !== null) return reply.code(409).send({ error: 'conflict', message: conflict, ...answer });
      return reply.code(200).send(answer);
    };

  app.post('/v1/subscriptions/:id/legal-hold', { preHandler: adminAuth }, command('legal-hold-set'));
  app.delete('/v1/subscriptions/:id/legal-hold', { preHandler: adminAuth }, command('legal-hold-release'));
  app.post('/v1/subscriptions/:id/suspend', { preHandler: adminAuth }, command('suspend'));
  app.post('/v1/subscriptions/:id/resume', { preHandler: adminAuth }, command('resume'));
  app.post('/v1/subscriptions/:id/cancel', { preHandler: adminAuth }, command('cancel'));
};
