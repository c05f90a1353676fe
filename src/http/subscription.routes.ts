import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import { accessLevelOf, mayAccess, type Status } from '../domain';
import { defineRoute, serve } from './api-spec';
import type { RouteDeps, RouteModule } from './server';
import { accessLevelSchema, statusSchema, subscriptionView, subscriptionViewSchema } from './subscription-view';
import { notFound, problemSchema } from './validation';

const path = z.object({ id: idSchema.describe('The subscription id, as in the events') });
const ROLES = ['user', 'admin'] as const;

const accessAnswer = z
  .object({
    subscriptionId: z.string(),
    role: z.enum(ROLES),
    allowed: z.boolean().describe('Whether this role may use the subscription now: the decision a sign-in service acts on.'),
    known: z
      .boolean()
      .describe('false for a subscription never stored: no event ever changed it, so it was never held (active, full access).'),
    accessLevel: accessLevelSchema,
    status: statusSchema,
  })
  .meta({ id: 'AccessDecision' });

export const getSubscription = defineRoute({
  method: 'GET',
  url: '/v1/subscriptions/:id',
  operationId: 'getSubscription',
  tag: 'access',
  summary: "A subscription's state: holds, deletion, legal hold, receipt",
  access: 'reader',
  request: { path },
  responses: {
    200: { description: 'The stored subscription.', schema: subscriptionViewSchema },
    404: { description: 'No subscription with this id was ever stored (`"error": "not-found"`).', schema: problemSchema },
  },
});

export const getAccess = defineRoute({
  method: 'GET',
  url: '/v1/subscriptions/:id/access',
  operationId: 'getAccess',
  tag: 'access',
  summary: 'May this role use this subscription now?',
  description:
    'Answers 200 for every well-formed id: one never stored answers `allowed: true, known: false, status: "active"` for both roles. docs/http-api.md, "What a sign-in service does with the access answer", says what to do with each answer and when this service is unreachable.',
  access: 'reader',
  request: {
    path,
    query: z.object({
      role: z
        .enum(ROLES, { message: 'role must be user or admin' })
        .describe('Who is signing in: an end user, or an admin of the customer'),
    }),
  },
  responses: { 200: { description: 'The decision.', schema: accessAnswer } },
});

/** The read-only routes sign-in services call: a subscription's state and the access decision. */
export const subscriptionRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  // Sign-in services wait on these answers: their latency is measured (and alerted on, deploy/observability/).
  const timed = (route: string) => ({
    onResponse: (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      deps.observe?.accessRequest(route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    },
  });

  serve(
    app,
    deps,
    getSubscription,
    async ({ path: { id } }, _request, reply) => {
      const stored = await deps.subscriptions.get(id);
      return stored === null ? notFound(reply, `no subscription ${id}`) : subscriptionView(stored.state);
    },
    timed('subscription'),
  );

  serve(
    app,
    deps,
    getAccess,
    async ({ path: { id }, query: { role } }): Promise<z.output<typeof accessAnswer>> => {
      const stored = await deps.subscriptions.get(id);
      // A subscription is stored only once an event changed it, so one never stored has never been held: active, with
      // full access. Answering 404 would leave every sign-in service to guess, and one that guessed "deny" would lock
      // out every customer in good standing. `known` says which case it is.
      const status: Status = stored?.state.status ?? 'active';
      const accessLevel = accessLevelOf(status);
      return { subscriptionId: id, role, allowed: mayAccess(role, accessLevel), known: stored !== null, accessLevel, status };
    },
    timed('access'),
  );
};
