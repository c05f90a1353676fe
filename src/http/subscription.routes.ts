import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import { accessLevelOf, mayAccess, type Status } from '../domain';
import { requireToken } from './auth';
import type { RouteDeps, RouteModule } from './server';
import { subscriptionView } from './subscription-view';

const params = z.object({ id: idSchema });
const accessQuery = z.object({ role: z.enum(['user', 'admin'], { message: 'role must be user or admin' }) });

export function problem(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || 'request'}: ${issue.message}`).join('; ');
}

/** The read-only routes sign-in services call: a subscription's state and the access decision. */
export const subscriptionRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const readAuth = requireToken(
    [deps.config.ADMIN_TOKEN, deps.config.ACCESS_API_TOKEN],
    'ADMIN_TOKEN or ACCESS_API_TOKEN',
    deps.authFailures,
  );
  // Sign-in services wait on these answers: their latency is measured (and alerted on, deploy/observability/).
  const timed = (route: string) => (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    deps.observe?.accessRequest(route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };

  app.get('/v1/subscriptions/:id', { preHandler: readAuth, onResponse: timed('subscription') }, async (request, reply) => {
    const parsed = params.safeParse(request.params);
    if (!parsed.success) return reply.code(400).send({ error: 'bad-request', message: problem(parsed.error.issues) });
    const stored = await deps.subscriptions.get(parsed.data.id);
    if (stored === null) return reply.code(404).send({ error: 'not-found', message: `no subscription ${parsed.data.id}` });
    return subscriptionView(stored.state);
  });

  /** The decision a sign-in service asks for: may this role use this subscription now? */
  app.get('/v1/subscriptions/:id/access', { preHandler: readAuth, onResponse: timed('access') }, async (request, reply) => {
    const parsedParams = params.safeParse(request.params);
    const parsedQuery = accessQuery.safeParse(request.query);
    if (!parsedParams.success) return reply.code(400).send({ error: 'bad-request', message: problem(parsedParams.error.issues) });
    if (!parsedQuery.success) return reply.code(400).send({ error: 'bad-request', message: problem(parsedQuery.error.issues) });
    const { id } = parsedParams.data;
    const { role } = parsedQuery.data;
    const stored = await deps.subscriptions.get(id);
    // A subscription is stored only once an event changed it, so one never stored has never been held: active, with
    // full access. Answering 404 would leave every sign-in service to guess, and one that guessed "deny" would lock
    // out every customer in good standing. `known` says which case it is.
    const status: Status = stored?.state.status ?? 'active';
    const accessLevel = accessLevelOf(status);
    return { subscriptionId: id, role, allowed: mayAccess(role, accessLevel), known: stored !== null, accessLevel, status };
  });
};
