import { z } from 'zod';

import { CERTIFICATE_FORMAT, type SignedCertificate } from '../domain';

// Bounds keep a hostile file from costing more than a glance; real certificates are far inside them.
const id = z.string().min(1).max(256);
const instant = z.iso.datetime();
const count = z.number().int().nonnegative();

/** What a deletion certificate states (docs/contract/deletion-certificate.v1.schema.json is generated from it). */
export const certificateBodySchema = z
  .object({
    format: z.literal(CERTIFICATE_FORMAT),
    certificateId: id.describe('<subscriptionId>/<timer generation>: one deletion, one certificate.'),
    keyId: id.describe('The signing key: find its public key by this id at /.well-known/deletion-certificate-keys.json.'),
    subscriptionId: id,
    customerId: id,
    tenantId: id,
    policyVersion: id.describe('The policy the deletion ran under ("default": the configured defaults).'),
    policyHash: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .describe('sha256 of the canonical form of the effective policy settings.'),
    statusAtDeletion: z.enum(['suspended', 'cancelled']),
    suspendedAt: instant.nullable().describe('When the subscription was suspended (its oldest hold) or cancelled.'),
    deletionAnnouncedFor: instant.describe('The deletion date announced to the customer.'),
    deletedAt: instant,
    collections: z
      .array(
        z.object({
          collection: id,
          deleted: count.describe("Documents of this subscription deleted from the collection (within the subscription's tenant)."),
          remaining: count.describe("The subscription's documents counted in the collection after the deletion: 0 means none left."),
        }),
      )
      .max(1_000)
      .describe('One entry per collection in DATA_COLLECTIONS.'),
    legalHolds: z
      .array(z.object({ setAt: instant, releasedAt: instant.nullable() }))
      .max(10_000)
      .describe('The legal holds the deletion waited for.'),
    auditChain: z
      .object({
        records: count,
        head: z
          .string()
          .regex(/^sha256:[0-9a-f]{64}$/)
          .nullable(),
      })
      .describe("The subscription's audit chain up to the deletion: its length and the hash of its last record."),
  })
  .strict();

/** A certificate and its signature: Ed25519 over the UTF-8 bytes of the canonical form of `certificate`. */
export const signedCertificateSchema = z
  .object({
    certificate: certificateBodySchema,
    signature: z
      .string()
      .regex(/^[A-Za-z0-9_-]{86}$/, 'must be an Ed25519 signature in base64url (86 characters)')
      .describe('Ed25519 signature, base64url without padding, over the canonical form (RFC 8785) of `certificate`.'),
  })
  .strict();

export type CertificateDocument = z.infer<typeof signedCertificateSchema>;

/** The certificate as a plain document (the schema's type): what the lifecycle event and the API carry. */
export function certificateDocument(signed: SignedCertificate): CertificateDocument {
  const { certificate } = signed;
  return {
    certificate: {
      ...certificate,
      collections: certificate.collections.map((entry) => ({ ...entry })),
      legalHolds: certificate.legalHolds.map((hold) => ({ ...hold })),
      auditChain: { ...certificate.auditChain },
    },
    signature: signed.signature,
  };
}
