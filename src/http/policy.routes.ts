import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import { tenantPolicy, type Policy, type PolicyVersion, type Replan } from '../domain';
import { policyOverrideSchema } from '../storage/tenant-policy.repository';
import { previewPolicy, setPolicy, type Preview } from '../use-cases/tenant-policies';
import { defineRoute, serve } from './api-spec';
import type { RouteDeps, RouteModule } from './server';
import { isoTime } from './subscription-view';
import { notFound, operatorText, wholeNumber } from './validation';

const iso = (ms: number): string => new Date(ms).toISOString();
const DAY_MS = 86_400_000;
/** A duration as ISO 8601 text, in whole days when it is (how operators write them). */
const durationText = (ms: number): string => (ms % DAY_MS === 0 ? `P${ms / DAY_MS}D` : `PT${ms / 1_000}S`);

const path = z.object({ tenantId: idSchema });
const applyToPending = z
  .boolean({ error: 'must be true or false' })
  .default(false)
  .describe('Re-plan pending deletions even when they would not move later; never before the announced date.');

const policyAnswer = z.object({
  version: z.number().int().describe('0: the environment default.'),
  deletionDelay: z.string(),
  deletionReminders: z.array(z.string()),
  legalHoldReleaseGrace: z.string(),
  fraudScoreThreshold: z.number(),
});
const versionAnswer = z.object({
  tenantId: z.string(),
  version: z.number().int(),
  override: policyOverrideSchema,
  effective: policyAnswer,
  applyToPending: z.boolean(),
  actor: z.string(),
  reason: z.string(),
  createdAt: isoTime,
});
const replanAnswer = z.object({
  subscriptionId: z.string(),
  fromDueAt: isoTime,
  toDueAt: isoTime,
  movedByMs: z.number().int(),
  movedBy: z.string().describe('+P30D: later by 30 days.'),
  policyDueAt: isoTime.describe('What the draft alone would give.'),
  heldAtAnnounced: z.boolean().describe('The draft would delete before the date already announced; that date is kept.'),
  fromReminders: z.array(isoTime),
  toReminders: z.array(isoTime),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
});
const previewAnswer = z.object({
  tenantId: z.string(),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  policy: policyAnswer,
  summary: z.object({
    pending: z.number().int(),
    moved: z.number().int(),
    later: z.number().int(),
    heldAtAnnounced: z.number().int(),
    remindersChanged: z.number().int(),
  }),
  changes: z.array(replanAnswer),
  truncated: z.boolean(),
});

const listAnswer = z.object({ tenantId: z.string(), current: policyAnswer, environment: policyAnswer, versions: z.array(versionAnswer) });
const setAnswer = z.object({ version: versionAnswer, replanned: z.number().int() });

export const listPolicy = defineRoute({
  method: 'GET',
  url: '/v1/tenants/:tenantId/policy',
  operationId: 'listTenantPolicy',
  tag: 'operations',
  summary: 'A tenant’s policy in force and its versions, newest first',
  access: 'operator',
  opsOnly: true,
  request: { path, query: z.strictObject({ limit: wholeNumber(1, 1_000, 100) }) },
  responses: {
    200: {
      description: 'The policy in force, the environment default, the versions.',
      schema: listAnswer,
    },
  },
});

export const showPolicyVersion = defineRoute({
  method: 'GET',
  url: '/v1/tenants/:tenantId/policy/versions/:version',
  operationId: 'showTenantPolicyVersion',
  tag: 'operations',
  summary: 'One version of a tenant’s policy (0: the environment default)',
  access: 'operator',
  opsOnly: true,
  request: { path: path.extend({ version: wholeNumber(0, 1_000_000_000, 0) }) },
  responses: {
    200: {
      description: 'The version.',
      schema: versionAnswer.partial({ override: true, applyToPending: true, actor: true, reason: true, createdAt: true }),
    },
  },
});

export const previewPolicyRoute = defineRoute({
  method: 'POST',
  url: '/v1/tenants/:tenantId/policy/preview',
  operationId: 'previewTenantPolicy',
  tag: 'operations',
  summary: 'What a draft policy would do to the tenant’s pending deletions and reminders, from live data; changes nothing',
  access: 'operator',
  opsOnly: true,
  request: {
    path,
    body: z.strictObject({ policy: policyOverrideSchema, applyToPending, limit: z.number().int().min(1).max(1_000).default(100) }),
  },
  responses: { 200: { description: 'The preview.', schema: previewAnswer } },
});

export const setPolicyRoute = defineRoute({
  method: 'POST',
  url: '/v1/tenants/:tenantId/policy',
  operationId: 'setTenantPolicy',
  tag: 'operations',
  summary: 'Store a draft as the tenant’s next policy version and re-plan its pending deletions',
  access: 'operator',
  opsOnly: true,
  request: { path, body: z.strictObject({ policy: policyOverrideSchema, applyToPending, actor: operatorText, reason: operatorText }) },
  responses: {
    201: {
      description: 'Stored; that many pending deletions re-planned.',
      schema: setAnswer,
    },
  },
});

export const policyRouteSpecs = [listPolicy, showPolicyVersion, previewPolicyRoute, setPolicyRoute] as const;

export function policyView(policy: Policy) {
  return {
    version: policy.version,
    deletionDelay: durationText(policy.deletionDelayMs),
    deletionReminders: policy.reminderOffsets.map((reminder) => reminder.offset),
    legalHoldReleaseGrace: durationText(policy.legalHoldReleaseGraceMs),
    fraudScoreThreshold: policy.fraudScoreThreshold,
  };
}

export function versionView(version: PolicyVersion, base: Policy) {
  return {
    tenantId: version.tenantId,
    version: version.version,
    // Parsed again for the answer's own (mutable) type; a stored version always passes.
    override: policyOverrideSchema.parse(version.override),
    effective: policyView(tenantPolicy(base, version)),
    applyToPending: version.applyToPending,
    actor: version.actor,
    reason: version.reason,
    createdAt: iso(version.createdAt),
  };
}

function replanView(plan: Replan) {
  return {
    subscriptionId: plan.subscriptionId,
    fromDueAt: iso(plan.fromDueAt),
    toDueAt: iso(plan.toDueAt),
    movedByMs: plan.toDueAt - plan.fromDueAt,
    movedBy: `${plan.toDueAt >= plan.fromDueAt ? '+' : '-'}${durationText(Math.abs(plan.toDueAt - plan.fromDueAt))}`,
    policyDueAt: iso(plan.policyDueAt),
    heldAtAnnounced: plan.heldAtAnnounced,
    fromReminders: plan.fromReminders.map(iso),
    toReminders: plan.toReminders.map(iso),
    fromVersion: plan.fromVersion,
    toVersion: plan.toVersion,
  };
}

export function previewView(preview: Preview) {
  return {
    tenantId: preview.tenantId,
    fromVersion: preview.fromVersion,
    toVersion: preview.toVersion,
    policy: policyView(preview.policy),
    summary: preview.summary,
    changes: preview.changes.map(replanView),
    truncated: preview.truncated,
  };
}

/** Tenants' policies: versions, preview and change (docs/http-api.md, "Tenant policies"). ADMIN_TOKEN only. */
export const policyRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const { policies } = deps;
  const base = deps.apply.policy;

  serve(app, deps, listPolicy, async ({ path: { tenantId }, query }) => {
    const versions = await policies.policies.list(tenantId, query.limit);
    const answer: z.output<typeof listAnswer> = {
      tenantId,
      current: policyView(tenantPolicy(base, versions[0] ?? null)),
      environment: policyView(base),
      versions: versions.map((version) => versionView(version, base)),
    };
    return answer;
  });

  serve(app, deps, showPolicyVersion, async ({ path: { tenantId, version } }, _request, reply) => {
    if (version === 0) return { tenantId, version: 0, effective: policyView(base) };
    const found = await policies.policies.get(tenantId, version);
    if (found === null) return notFound(reply, `tenant ${tenantId} has no policy version ${version}`);
    return versionView(found, base);
  });

  serve(app, deps, previewPolicyRoute, async ({ path: { tenantId }, body }) => {
    const preview = await previewPolicy(policies, { tenantId, override: body.policy, applyToPending: body.applyToPending }, body.limit);
    const answer: z.output<typeof previewAnswer> = previewView(preview);
    return answer;
  });

  serve(app, deps, setPolicyRoute, async ({ path: { tenantId }, body }, _request, reply) => {
    const result = await setPolicy(
      policies,
      { tenantId, override: body.policy, applyToPending: body.applyToPending },
      { actor: body.actor, reason: body.reason },
    );
    const answer: z.output<typeof setAnswer> = { version: versionView(result.version, base), replanned: result.replanned };
    return reply.code(201).send(answer);
  });
};
