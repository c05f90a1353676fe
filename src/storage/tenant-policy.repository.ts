import type { Collection, Connection } from 'mongoose';
import { z } from 'zod';

import { idSchema } from '../contract/envelope';
import { parseDuration, type PolicyOverride, type PolicyVersion } from '../domain';
import { NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE } from '../control-characters';
import { ensureIndexes } from './indexes';
import { mongoCall, mongoFailure } from './mongo-errors';

export const TENANT_POLICIES = 'tenant_policies';

const DAY_MS = 86_400_000;
const durationText = (minMs: number, maxMs: number, message: string) =>
  z
    .string({ error: 'must be an ISO 8601 duration such as P90D' })
    .max(40, 'must be an ISO 8601 duration such as P90D')
    .refine(
      (text) => {
        try {
          const ms = parseDuration(text);
          return ms >= minMs && ms <= maxMs;
        } catch {
          return false;
        }
      },
      { message },
    );

/** What a tenant may override (docs/architecture.md, "Tenant policies"); absent fields follow the environment. */
export const policyOverrideSchema = z.strictObject({
  deletionDelay: durationText(DAY_MS, 3_650 * DAY_MS, 'must be an ISO 8601 duration from P1D to P3650D').optional(),
  deletionReminders: z
    .array(durationText(60_000, 3_650 * DAY_MS, 'must be an ISO 8601 duration from PT1M to P3650D'))
    .max(10, 'must list at most 10 reminders')
    .optional(),
  legalHoldReleaseGrace: durationText(0, 3_650 * DAY_MS, 'must be an ISO 8601 duration up to P3650D').optional(),
  fraudScoreThreshold: z.number({ error: 'must be a number from 0 to 1' }).min(0).max(1).optional(),
}) satisfies z.ZodType<PolicyOverride>;

const storedText = z.string().min(1).max(500).regex(NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE);

/** A stored version, checked on every read: a document edited by hand never reaches the domain unchecked. */
const versionDocument = z.object({
  _id: z.string(),
  tenantId: idSchema,
  version: z.number().int().min(1),
  override: policyOverrideSchema,
  applyToPending: z.boolean(),
  actor: storedText,
  reason: storedText,
  createdAt: z.number(),
});
type VersionDocument = z.infer<typeof versionDocument>;

const versionId = (tenantId: string, version: number): string => `${tenantId}/${version}`;

function toVersion(doc: unknown): PolicyVersion {
  const { _id: _ignored, ...version } = versionDocument.parse(doc);
  return version;
}

/**
 * Tenants' policy versions: immutable, one document each, numbered 1, 2, … per tenant. The `_id` (tenant/version) is
 * the guard: two operators creating version 3 at once cannot both win, and no version is ever replaced.
 * A version's document is also its audit record: who, why, when, what.
 */
export class TenantPolicyRepository {
  private readonly collection: Collection<VersionDocument>;

  constructor(connection: Connection) {
    this.collection = connection.collection<VersionDocument>(TENANT_POLICIES);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.collection, [{ key: { tenantId: 1, version: -1 } }]);
  }

  /** Stores the next version; false when another writer took that number first (the caller reads again and retries). */
  async insert(version: PolicyVersion): Promise<boolean> {
    // Validated on the way in as on the way out: a version is never stored in a shape it could not be read back in.
    const doc: VersionDocument = {
      _id: versionId(version.tenantId, version.version),
      ...version,
      override: policyOverrideSchema.parse(version.override),
    };
    try {
      await this.collection.insertOne(doc);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 11000) return false;
      throw mongoFailure(error, { op: 'insert', collection: TENANT_POLICIES });
    }
  }

  /** A tenant's versions, newest first, at most `limit`. */
  async list(tenantId: string, limit: number): Promise<PolicyVersion[]> {
    const docs = await mongoCall({ op: 'list', collection: TENANT_POLICIES }, () =>
      this.collection.find({ tenantId }).sort({ version: -1 }).limit(limit).toArray(),
    );
    return docs.map(toVersion);
  }

  async get(tenantId: string, version: number): Promise<PolicyVersion | null> {
    const doc = await mongoCall({ op: 'get', collection: TENANT_POLICIES }, () =>
      this.collection.findOne({ _id: versionId(tenantId, version) }),
    );
    return doc === null ? null : toVersion(doc);
  }

  async latest(tenantId: string): Promise<PolicyVersion | null> {
    return (await this.list(tenantId, 1))[0] ?? null;
  }

  /** Every version of every tenant, and each tenant's latest (tenants with a policy of their own are few: markets, not customers). */
  async everyVersion(): Promise<{ latest: Map<string, PolicyVersion>; all: PolicyVersion[] }> {
    const docs = await mongoCall({ op: 'everyVersion', collection: TENANT_POLICIES }, () =>
      this.collection.find({}).sort({ tenantId: 1, version: -1 }).limit(100_000).toArray(),
    );
    const all = docs.map(toVersion);
    const latest = new Map<string, PolicyVersion>();
    for (const version of all) if (!latest.has(version.tenantId)) latest.set(version.tenantId, version);
    return { latest, all };
  }
}
