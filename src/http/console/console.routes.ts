import { randomUUID } from 'node:crypto';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../../contract/envelope';
import { tenantPolicy, type Subscription } from '../../domain';
import { policyOverrideSchema } from '../../storage/tenant-policy.repository';
import { previewPolicy, setPolicy } from '../../use-cases/tenant-policies';
import { policyView } from '../policy.routes';
import { policyPage, type DraftFields, type PolicyPageView } from './policy-page';
import { replayRequest } from '../../use-cases/dead-letter-replay';
import { deletionForecast, forecastWindowEnd } from '../../use-cases/deletion-forecast';
import { lifecycleEventsOf } from '../../use-cases/lifecycle-from-audit';
import { OPERATOR_ACTIONS, runOperatorCommand, type OperatorAction } from '../../use-cases/operator-commands';
import { lastReconcile } from '../../use-cases/reconcile-status';
import { subscriptionTimeline } from '../../use-cases/timeline';
import { verifyAuditTrail } from '../../use-cases/audit-verification';
import { upcomingDeletions, upcomingWindowDays } from '../../use-cases/upcoming-deletions';
import { deadLetterFilterFields, deadLetterIdSchema } from '../dlq.routes';
import type { Html } from '../html';
import type { HttpDeps } from '../server';
import { operatorText } from '../validation';
import { deadLetterPage, deadLettersPage } from './dead-letters-page';
import { healthPage, SKIPS_SHOWN } from './health-page';
import type { ConsoleContext } from './layout';
import { overviewPage } from './overview-page';
import { searchPage, type SearchResult } from './search-page';
import { subscriptionPage } from './subscription-page';

const SOONEST = 10;

const draftText = z.string().max(200).optional();
/** The policy page's draft form (query for a preview, body to store): text fields, empty meaning the environment's. */
const draftForm = z.object({
  delay: draftText,
  reminders: draftText,
  grace: draftText,
  fraud: draftText,
  applyToPending: z.literal('on').optional(),
  preview: z.literal('1').optional(),
  stored: z
    .string()
    .regex(/^\d{1,9}$/)
    .optional(),
});

function draftFields(form: z.infer<typeof draftForm>): DraftFields {
  return {
    delay: (form.delay ?? '').trim(),
    reminders: (form.reminders ?? '').trim(),
    grace: (form.grace ?? '').trim(),
    fraud: (form.fraud ?? '').trim(),
    applyToPending: form.applyToPending === 'on',
  };
}

/** The draft as an override, through the API's one schema. */
function overrideOf(draft: DraftFields) {
  return policyOverrideSchema.safeParse({
    ...(draft.delay === '' ? {} : { deletionDelay: draft.delay }),
    ...(draft.reminders === ''
      ? {}
      : { deletionReminders: draft.reminders === 'none' ? [] : draft.reminders.split(',').map((item) => item.trim()) }),
    ...(draft.grace === '' ? {} : { legalHoldReleaseGrace: draft.grace }),
    ...(draft.fraud === '' ? {} : { fraudScoreThreshold: Number(draft.fraud) }),
  });
}
const SEARCH_LIMIT = 50;
const LETTERS_PER_PAGE = 50;

/** What admin.routes.ts gives the console: how to answer with a page, and who is asking. */
export interface ConsoleHelpers {
  readonly boardPath: string;
  sendPage(reply: FastifyReply, status: number, render: (context: ConsoleContext) => Html): Promise<FastifyReply>;
  /** Reads a section, or null (logged) when it fails or is slow, so one bad source never takes the page down. */
  attempt<T>(section: string, read: () => Promise<T>): Promise<T | null>;
  /** The signed-in operator's name, or null for a bearer-token request (which may read here but not act). */
  actor(request: FastifyRequest): string | null;
}

type Notice = { kind: 'ok' | 'warn' | 'error'; text: string };

const ACTION_DONE: Readonly<Record<OperatorAction, string>> = {
  'legal-hold-set': 'Legal hold placed',
  'legal-hold-release': 'Legal hold released',
  suspend: 'Suspension requested',
  resume: 'Resumption requested',
  cancel: 'Cancellation requested',
};

const actionForm = z.object({
  action: z.enum(OPERATOR_ACTIONS),
  reason: operatorText,
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .optional(),
});
const actionDone = z.object({
  done: z.enum(OPERATOR_ACTIONS),
  outcome: z.enum(['applied', 'duplicate', 'stale', 'ignored', 'rejected']),
  changed: z.enum(['0', '1']),
});
const emptyToUndefined = (value: unknown): unknown => (value === '' ? undefined : value);
const letterFilter = z.object({
  code: z.preprocess(emptyToUndefined, deadLetterFilterFields.code),
  sourceTopic: z.preprocess(emptyToUndefined, deadLetterFilterFields.sourceTopic),
  status: z.preprocess(emptyToUndefined, deadLetterFilterFields.status),
});
const letterQuery = letterFilter.extend({
  after: z.string().max(1_000).optional(),
  replayed: z.coerce.number().int().min(0).optional(),
  skipped: z.coerce.number().int().min(0).optional(),
});
const replayForm = letterFilter.extend({
  id: deadLetterIdSchema.optional(),
  force: z.literal('true').optional(),
  value: z.string().min(1).max(1_048_576).optional(),
});

/** The fields that are set: a filter from a form never holds `undefined` (MongoDB would match null). */
function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const entries: [string, unknown][] = Object.entries(value);
  return Object.fromEntries(entries.filter((entry) => entry[1] !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const subscriptionPath = (id: string): string => `/admin/subscriptions/${encodeURIComponent(id)}`;

function noticeOf(query: unknown): Notice | undefined {
  const done = actionDone.safeParse(query);
  if (!done.success) return undefined;
  const { done: action, outcome, changed } = done.data;
  if (outcome === 'applied' && changed === '1') return { kind: 'ok', text: `${ACTION_DONE[action]}.` };
  return { kind: 'warn', text: `${ACTION_DONE[action]}: ${outcome}, nothing changed.` };
}

/** The console's pages under /admin (already behind the admin guard and the CSRF check). */
export function consoleRoutes(app: FastifyInstance, deps: HttpDeps, helpers: ConsoleHelpers): void {
  const clock = deps.apply.clock;
  const { boardPath } = helpers;
  const attempt = <T>(section: string, read: () => Promise<T>) => helpers.attempt(section, read);
  const sendPage = (reply: FastifyReply, status: number, render: (context: ConsoleContext) => Html) =>
    helpers.sendPage(reply, status, render);
  const { decoder, topics: inboundTopics } = deps.inbound;
  // Every pending deletion falls within these days: the longest delay (or release grace) of any tenant's policy.
  const windowDays = async (): Promise<number> => upcomingWindowDays(await deps.policies.source.widest());

  app.get('/', async (_request, reply) => {
    const now = clock();
    const forecastDays = await windowDays();
    const [statuses, forecast, soonest, deadLetters, queues] = await Promise.all([
      attempt('subscriptions', () => deps.subscriptions.countByStatus()),
      attempt('forecast', () => deletionForecast(deps.subscriptions, now, forecastDays)),
      attempt('soonest', async () => {
        const page = await upcomingDeletions(deps.subscriptions, { dueBefore: forecastWindowEnd(now, forecastDays), limit: SOONEST });
        return page.items;
      }),
      attempt('dead-letters', () => deps.deadLetterCount()),
      Promise.all(deps.queues.map(async (queue) => ({ name: queue.name, counts: await attempt('queue', () => queue.getJobCounts()) }))),
    ]);
    const view = {
      now,
      statuses,
      forecast,
      soonest,
      deadLetters: { topic: deps.config.TOPIC_DLQ, count: deadLetters },
      queues,
      timerQueue: deps.queue.name,
      boardPath,
    };
    return sendPage(reply, 200, (context) => overviewPage(view, context));
  });

  app.get('/search', async (request, reply) => {
    const raw = (request.query as { q?: unknown } | undefined)?.q;
    const query = typeof raw === 'string' ? raw.trim().slice(0, 200) : '';
    if (query === '') return sendPage(reply, 200, (context) => searchPage(null, context));
    // Ids are `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`: anything else cannot match, and is not sent to the database.
    const valid = idSchema.safeParse(query).success;
    const [byId, byCustomer, byTenant] = valid
      ? await Promise.all([
          deps.subscriptions.get(query),
          deps.subscriptions.findBy('customerId', query, SEARCH_LIMIT),
          deps.subscriptions.findBy('tenantId', query, SEARCH_LIMIT),
        ])
      : [null, [], []];
    const matches: SearchResult['matches'][number][] = [
      ...(byId === null ? [] : [{ by: 'subscription' as const, subscription: byId.state }]),
      ...byCustomer.map((subscription: Subscription) => ({ by: 'customer' as const, subscription })),
      ...byTenant.map((subscription: Subscription) => ({ by: 'tenant' as const, subscription })),
    ];
    if (byId !== null && matches.length === 1)
      return reply.code(303).header('location', subscriptionPath(byId.state.subscriptionId)).send();
    return sendPage(reply, 200, (context) => searchPage({ query, matches, limit: SEARCH_LIMIT }, context));
  });

  app.get('/subscriptions/:id', async (request, reply) => {
    const id = idSchema.safeParse((request.params as { id?: unknown }).id);
    if (!id.success) return reply.code(404).send({ error: 'not-found', message: 'no such subscription' });
    const timeline = await subscriptionTimeline(deps, id.data, 500);
    if (timeline === null) return reply.code(404).send({ error: 'not-found', message: `no subscription ${id.data}` });
    const notice = noticeOf(request.query);
    const chain = await verifyAuditTrail(deps, id.data);
    if (chain === null) return reply.code(404).send({ error: 'not-found', message: `no subscription ${id.data}` });
    const view = {
      now: clock(),
      timeline,
      chain,
      events: lifecycleEventsOf(timeline.audit),
      boardPath,
      queue: deps.queue.name,
      requestId: randomUUID(),
      ...(notice === undefined ? {} : { notice }),
    };
    return sendPage(reply, 200, (context) => subscriptionPage(view, context));
  });

  app.post('/subscriptions/:id/actions', async (request, reply) => {
    const actor = helpers.actor(request);
    if (actor === null) return reply.code(403).send({ error: 'forbidden', message: 'sign in with your name to act from the console' });
    const id = idSchema.safeParse((request.params as { id?: unknown }).id);
    const form = actionForm.safeParse(request.body ?? {});
    if (!id.success || !form.success) {
      const message = form.success
        ? 'no such subscription'
        : form.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      return reply.code(400).send({ error: 'bad-request', message });
    }
    const { action, reason, requestId } = form.data;
    const result = await runOperatorCommand(deps.apply, {
      subscriptionId: id.data,
      action,
      actor,
      reason,
      ...(requestId === undefined ? {} : { requestId }),
    });
    if (!result.found) return reply.code(404).send({ error: 'not-found', message: `no subscription ${id.data}` });
    const { decision } = result;
    const changed = decision.outcome === 'applied' && decision.audit.reason !== 'no-change' ? '1' : '0';
    const query = new URLSearchParams({ done: action, outcome: decision.outcome, changed });
    return reply
      .code(303)
      .header('location', `${subscriptionPath(id.data)}?${query.toString()}`)
      .send();
  });

  app.get('/tenants/:tenantId/policy', async (request, reply) => {
    const tenantId = idSchema.safeParse((request.params as { tenantId?: unknown }).tenantId);
    const fields = draftForm.safeParse(request.query ?? {});
    const { policies } = deps;
    if (!tenantId.success || !fields.success) return reply.code(404).send({ error: 'not-found', message: 'no such tenant policy page' });
    const versions = await policies.policies.list(tenantId.data, 100);
    const draft = draftFields(fields.data);
    let preview: PolicyPageView['preview'] = null;
    if (fields.data.preview === '1') {
      const override = overrideOf(draft);
      preview = override.success
        ? await previewPolicy(policies, { tenantId: tenantId.data, override: override.data, applyToPending: draft.applyToPending }, 200)
        : { problem: override.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
    }
    const stored = fields.data.stored === undefined ? {} : { stored: Number(fields.data.stored) };
    const view: PolicyPageView = {
      tenantId: tenantId.data,
      current: policyView(tenantPolicy(policies.source.base, versions[0] ?? null)),
      environment: policyView(policies.source.base),
      versions,
      draft,
      preview,
      ...stored,
    };
    return sendPage(reply, 200, (context) => policyPage(view, context));
  });

  app.post('/tenants/:tenantId/policy', async (request, reply) => {
    const actor = helpers.actor(request);
    if (actor === null) return reply.code(403).send({ error: 'forbidden', message: 'sign in with your name to act from the console' });
    const tenantId = idSchema.safeParse((request.params as { tenantId?: unknown }).tenantId);
    const form = draftForm.extend({ reason: operatorText }).safeParse(request.body ?? {});
    const { policies } = deps;
    if (!tenantId.success) return reply.code(404).send({ error: 'not-found', message: 'no such tenant' });
    const draft = form.success ? draftFields(form.data) : null;
    const override = draft === null ? null : overrideOf(draft);
    if (!form.success || draft === null || override === null || !override.success) {
      const issues = form.success ? (override?.success === false ? override.error.issues : []) : form.error.issues;
      return reply
        .code(400)
        .send({ error: 'bad-request', message: issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
    }
    const result = await setPolicy(
      policies,
      { tenantId: tenantId.data, override: override.data, applyToPending: draft.applyToPending },
      { actor, reason: form.data.reason },
    );
    const query = new URLSearchParams({ stored: String(result.version.version) });
    return reply
      .code(303)
      .header('location', `/admin/tenants/${encodeURIComponent(tenantId.data)}/policy?${query.toString()}`)
      .send();
  });

  app.get('/dead-letters', async (request, reply) => {
    const parsed = letterQuery.safeParse(request.query ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'bad-request', message: 'unknown filter' });
    const { after, replayed, skipped, ...rest } = parsed.data;
    const filter = definedOnly(rest);
    const page = await deps.deadLetters
      .list(filter, { limit: LETTERS_PER_PAGE, ...(after === undefined ? {} : { after }) })
      .catch((error: unknown) => {
        if (error instanceof RangeError) return null;
        throw error;
      });
    if (page === null) return reply.code(400).send({ error: 'bad-request', message: 'that page cursor is not one this console gave' });
    const total = await deps.deadLetters.count(filter);
    const notice: Notice | undefined =
      replayed === undefined ? undefined : { kind: 'ok', text: `${replayed} replayed, ${skipped ?? 0} skipped.` };
    return sendPage(reply, 200, (context) =>
      deadLettersPage({ filter, ...page, total, topics: inboundTopics, ...(notice === undefined ? {} : { notice }) }, context),
    );
  });

  app.get('/dead-letters/:id', async (request, reply) => {
    const id = deadLetterIdSchema.safeParse((request.params as { id?: unknown }).id);
    const letter = id.success ? await deps.deadLetters.get(id.data) : null;
    if (letter === null) return reply.code(404).send({ error: 'not-found', message: 'no such dead letter' });
    const parsed = letterQuery.pick({ replayed: true, skipped: true }).safeParse(request.query ?? {});
    const notice: Notice | undefined =
      parsed.success && parsed.data.replayed !== undefined
        ? { kind: parsed.data.replayed > 0 ? 'ok' : 'warn', text: `${parsed.data.replayed} replayed, ${parsed.data.skipped ?? 0} skipped.` }
        : undefined;
    return sendPage(reply, 200, (context) => deadLetterPage(letter, context, notice === undefined ? {} : { notice }));
  });

  app.post('/dead-letters/replay', async (request, reply) => {
    const actor = helpers.actor(request);
    if (actor === null) return reply.code(403).send({ error: 'forbidden', message: 'sign in with your name to act from the console' });
    const form = replayForm.safeParse(request.body ?? {});
    if (!form.success)
      return reply.code(400).send({ error: 'bad-request', message: form.error.issues.map((issue) => issue.message).join('; ') });
    const { id, force, value, ...rest } = form.data;
    const filter = definedOnly(rest);
    if (id === undefined && Object.keys(filter).length === 0) {
      return reply.code(400).send({ error: 'bad-request', message: 'choose a filter first: the console never replays everything at once' });
    }
    const answer = await replayRequest(
      { store: deps.deadLetters, producer: deps.producer, clock, decoder },
      {
        force: force === 'true',
        actor,
        ...(id === undefined ? { filter } : { ids: [id] }),
        ...(value === undefined ? {} : { value }),
      },
    );
    if (!answer.ok) {
      const letter = id === undefined ? null : await deps.deadLetters.get(id);
      if (letter === null) return reply.code(answer.status).send({ error: 'bad-request', message: answer.message });
      const notice: Notice = { kind: 'error', text: `Not replayed: ${answer.message}` };
      return sendPage(reply, answer.status, (context) =>
        deadLetterPage(letter, context, { notice, ...(value === undefined ? {} : { correctedValue: value }) }),
      );
    }
    const counts = new URLSearchParams({ replayed: String(answer.replayed), skipped: String(answer.skipped) });
    const back =
      id === undefined
        ? `/admin/dead-letters?${new URLSearchParams([...Object.entries(filter), ...counts]).toString()}`
        : `/admin/dead-letters/${encodeURIComponent(id)}?${counts.toString()}`;
    return reply.code(303).header('location', back).send();
  });

  app.get('/health', async (_request, reply) => {
    const sources = deps.console;
    const partitions = deps.partitions;
    const [lag, outboxBacklog, pendingDeadLetters, identityMismatches, reconcile, failedTimers, problems, skips] = await Promise.all([
      sources === undefined ? Promise.resolve(null) : attempt('lag', async () => [...(await sources.consumerLag())]),
      attempt('outbox', () => deps.apply.commits.pendingCount()),
      attempt('dead-letters', () => deps.deadLetters.count({ status: 'pending' })),
      attempt('identity-mismatches', async () => {
        const [pending, total] = await Promise.all([
          deps.deadLetters.count({ code: 'IDENTITY_MISMATCH', status: 'pending' }),
          deps.deadLetters.count({ code: 'IDENTITY_MISMATCH' }),
        ]);
        return { pending, total };
      }),
      attempt('reconcile', async () => ({ status: await lastReconcile(deps.queue) })),
      attempt('failed-timers', async () => (await deps.queue.getJobCounts('failed')).failed ?? 0),
      partitions === undefined ? Promise.resolve(null) : attempt('consumer-problems', () => Promise.resolve([...partitions.health()])),
      partitions === undefined ? Promise.resolve(null) : attempt('partition-skips', () => partitions.skips.list(SKIPS_SHOWN)),
    ]);
    const view = {
      now: clock(),
      lag,
      lagSamples: sources?.lagHistory.samples() ?? [],
      outboxBacklog,
      pendingDeadLetters,
      identityMismatches,
      // undefined: the reading failed; null: no reconciliation yet.
      reconcile: reconcile === null ? undefined : reconcile.status,
      failedTimers,
      problems,
      skips,
      boardPath,
      timerQueue: deps.queue.name,
    };
    return sendPage(reply, 200, (context) => healthPage(view, context));
  });
}
