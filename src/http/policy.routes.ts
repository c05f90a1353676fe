import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import { tenantPolicy, type Policy, type PolicyVersion, type Replan } from '../domain';
import { policyOverrideSchema } from '../storage/tenant-policy.repository';
import { previewPolicy, setPolicy, type Preview } from '../use-cases/tenant-policies';
import { requireToken } from './auth';
import type { RouteDeps, RouteModule } from './server';
import { badRequest, notFound, operatorText, wholeNumber } from './validation';

const iso = (ms: number): string => new Date(ms).toISOString();
const DAY_MS = 86_400_000;
/** A duration as ISO 8601 text, in whole days when it is (how operators write them). */
const durationText = (ms: number): string => (ms % DAY_MS === 0 ? `P${ms / DAY_MS}D` : `PT${ms / 1_000}S`);

const path = z.object({ tenantId: idSchema });
const applyToPending = z.boolean({ error: 'must be true or false' }).default(false);
/** Request schemas (registered with the OpenAPI document's route registry at merge). */
export const policyListRequest = z.object({ path, query: z.strictObject({ limit: wholeNumber(1, 1_000, 100) }) });
export const policyShowRequest = z.object({ path: path.extend({ version: wholeNumber(0, 1_000_000_000, 0) }) });
export const policyPreviewRequest = z.object({
  path,
  body: z.strictObject({ policy: policyOverrideSchema, applyToPending, limit: z.number().int().min(1).max(1_000).default(100) }),
});
export const policySetRequest = z.object({
  path,
  body: z.strictObject({ policy: policyOverrideSchema, applyToPending, actor: operatorText, reason: operatorText }),
});

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
    override: version.override,
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
  const policies = deps.policies;
  if (policies === undefined) return;
  const adminAuth = requireToken([deps.config.ADMIN_TOKEN], 'ADMIN_TOKEN', deps.authFailures);
  const base = policies.source.base;

  app.get('/v1/tenants/:tenantId/policy', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = policyListRequest.safeParse({ path: request.params, query: request.query });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { tenantId } = parsed.data.path;
    const versions = await policies.policies.list(tenantId, parsed.data.query.limit);
    return {
      tenantId,
      current: policyView(tenantPolicy(base, versions[0] ?? null)),
      environment: policyView(base),
      versions: versions.map((version) => versionView(version, base)),
    };
  });

  app.get('/v1/tenants/:tenantId/policy/versions/:version', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = policyShowRequest.safeParse({ path: request.params });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { tenantId, version } = parsed.data.path;
    if (version === 0) return { tenantId, version: 0, effective: policyView(base), note: 'the environment default' };
    const found = await policies.policies.get(tenantId, version);
    if (found === null) return notFound(reply, `tenant ${tenantId} has no policy version ${version}`);
    return versionView(found, base);
  });

  app.post('/v1/tenants/:tenantId/policy/preview', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = policyPreviewRequest.safeParse({ path: request.params, body: request.body ?? {} });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { policy, applyToPending: toPending, limit } = parsed.data.body;
    const preview = await previewPolicy(
      policies,
      { tenantId: parsed.data.path.tenantId, override: policy, applyToPending: toPending },
      limit,
    );
    return previewView(preview);
  });

  app.post('/v1/tenants/:tenantId/policy', { preHandler: adminAuth }, async (request, reply) => {
    const parsed = policySetRequest.safeParse({ path: request.params, body: request.body ?? {} });
    if (!parsed.success) return badRequest(reply, parsed.error.issues);
    const { policy, applyToPending: toPending, actor, reason } = parsed.data.body;
    const result = await setPolicy(
      policies,
      { tenantId: parsed.data.path.tenantId, override: policy, applyToPending: toPending },
      { actor, reason },
    );
    return reply.code(201).send({ version: versionView(result.version, base), replanned: result.replanned });
  });
};
