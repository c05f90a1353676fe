import { generateKeyPairSync } from 'node:crypto';

import { canonicalJson, certificateBody, legalHoldsOf, policyFrom, DEFAULT_POLICY_SETTINGS, type AuditRecord } from '../../../src/domain';
import { signCertificate, verifyCertificate } from '../../../src/proof/certificates';
import { policyHash } from '../../../src/proof/digest';
import { jwksOf, keyIdOf, keyRing, publicKeysFromJwks, signingKeyFrom, type SigningKey } from '../../../src/proof/keys';
import { EXAMPLE_CERTIFICATE_KEYS, exampleCertificate } from '../../../src/contract/examples';
import { aSubscription, DAY, T0 } from '../../support/factories';

const pem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const newKey = (keyId?: string): SigningKey => signingKeyFrom(pem(), keyId, 'test key');

const suspended = aSubscription({
  status: 'suspended',
  holds: [
    { reason: 'fraud', since: T0 + DAY, refs: ['case-1'] },
    { reason: 'nonpayment', since: T0, refs: ['inv-1'] },
  ],
  timerGeneration: 2,
  deletion: {
    generation: 2,
    dueAt: T0 + 60 * DAY,
    scheduledAt: T0,
    reminders: [],
    claimedAt: T0 + 60 * DAY,
    progress: [{ collection: 'documents', matched: 3, deleted: 3 }],
  },
});

function bodyFor(key: SigningKey) {
  return certificateBody(suspended, {
    keyId: key.keyId,
    policyVersion: 'default',
    policyHash: policyHash(policyFrom(DEFAULT_POLICY_SETTINGS)),
    collections: [{ collection: 'documents', deleted: 3, remaining: 0 }],
    legalHolds: [{ setAt: new Date(T0 + DAY).toISOString(), releasedAt: new Date(T0 + 2 * DAY).toISOString() }],
    auditChain: { records: 4, head: `sha256:${'a'.repeat(64)}` },
    deletedAt: T0 + 60 * DAY + 5,
  });
}

/** The signed certificate as a file would hold it: plain JSON, re-read. */
const asFile = (value: unknown): Record<string, Record<string, unknown>> =>
  JSON.parse(JSON.stringify(value)) as Record<string, Record<string, unknown>>;

describe('deletion certificates', () => {
  const key = newKey();
  const ring = keyRing(key, new Map(), 'test');

  it('states the deletion: the oldest hold as the suspension, the announced date, the counts, the policy', () => {
    const body = bodyFor(key);
    expect(body).toMatchObject({
      format: 'billing-enforcer.deletion-certificate.v1',
      certificateId: `${suspended.subscriptionId}/2`,
      statusAtDeletion: 'suspended',
      suspendedAt: new Date(T0).toISOString(),
      deletionAnnouncedFor: new Date(T0 + 60 * DAY).toISOString(),
      deletedAt: new Date(T0 + 60 * DAY + 5).toISOString(),
      policyVersion: 'default',
    });
    expect(body.policyHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The policy's identity follows its settings.
    expect(policyHash(policyFrom({ ...DEFAULT_POLICY_SETTINGS, deletionDelay: 'P30D' }))).not.toBe(body.policyHash);
  });

  it('verifies as signed, after a trip through a file', () => {
    const signed = signCertificate(bodyFor(key), key);
    expect(verifyCertificate(asFile(signed), ring.publicKeys)).toEqual({ ok: true, certificate: signed.certificate, keyId: key.keyId });
  });

  it('signs the canonical form: the same certificate with its keys in another order still verifies', () => {
    const signed = asFile(signCertificate(bodyFor(key), key));
    const shuffled = { signature: signed.signature, certificate: Object.fromEntries(Object.entries(signed.certificate!).reverse()) };
    expect(canonicalJson(shuffled.certificate)).toBe(canonicalJson(signed.certificate));
    expect(verifyCertificate(shuffled, ring.publicKeys).ok).toBe(true);
  });

  it.each([
    ['a count', (c: Record<string, unknown>) => ({ ...c, collections: [{ collection: 'documents', deleted: 3, remaining: 1 }] })],
    ['the deletion time', (c: Record<string, unknown>) => ({ ...c, deletedAt: '2020-01-01T00:00:00.000Z' })],
    ['the customer', (c: Record<string, unknown>) => ({ ...c, customerId: 'someone-else' })],
    ['the chain head', (c: Record<string, unknown>) => ({ ...c, auditChain: { records: 4, head: `sha256:${'b'.repeat(64)}` } })],
  ])('a changed field (%s) fails the signature check', (_field, change) => {
    const signed = asFile(signCertificate(bodyFor(key), key));
    const result = verifyCertificate({ ...signed, certificate: change(signed.certificate!) }, ring.publicKeys);
    expect(result).toMatchObject({ ok: false, check: 'signature' });
    expect(result.ok ? '' : result.problems[0]).toContain('a field was changed after signing');
  });

  it('an added or removed field fails the format check and is named', () => {
    const signed = asFile(signCertificate(bodyFor(key), key));
    expect(verifyCertificate({ ...signed, certificate: { ...signed.certificate, extra: 1 } }, ring.publicKeys)).toMatchObject({
      ok: false,
      check: 'format',
      problems: [expect.stringContaining('extra')],
    });
    const { deletedAt: _gone, ...withoutDeletedAt } = signed.certificate!;
    expect(verifyCertificate({ ...signed, certificate: withoutDeletedAt }, ring.publicKeys)).toMatchObject({
      ok: false,
      check: 'format',
      problems: [expect.stringContaining('$.certificate.deletedAt')],
    });
  });

  it('a forgery signed with another key under our key id fails the signature check', () => {
    const forger = newKey(key.keyId);
    const forged = signCertificate({ ...bodyFor(key), customerId: 'forged' }, forger);
    expect(verifyCertificate(asFile(forged), ring.publicKeys)).toMatchObject({ ok: false, check: 'signature' });
  });

  it('a certificate naming a key we do not know fails the key-id check, which lists the keys given', () => {
    const stranger = newKey();
    const result = verifyCertificate(asFile(signCertificate(bodyFor(stranger), stranger)), ring.publicKeys);
    expect(result).toMatchObject({ ok: false, check: 'key-id' });
    expect(result.ok ? '' : result.problems[0]).toContain(key.keyId);
  });

  it('after a rotation, certificates of the retired key still verify through the key ring, and the JWKS carries both', () => {
    const old = newKey();
    const oldCertificate = asFile(signCertificate(bodyFor(old), old));
    const next = newKey('2026-12');
    const retired = publicKeysFromJwks(JSON.stringify(jwksOf(keyRing(old, new Map(), 'old'))), 'retired');
    const rotated = keyRing(next, retired, 'rotated');
    const served = jwksOf(rotated);
    expect(served.keys.map((jwk) => jwk.kid)).toEqual(['2026-12', old.keyId]);
    const fromServed = publicKeysFromJwks(JSON.stringify(served), 'served');
    expect(verifyCertificate(oldCertificate, fromServed).ok).toBe(true);
    expect(verifyCertificate(asFile(signCertificate(bodyFor(next), next)), fromServed).ok).toBe(true);
  });

  it('derives a key id from the public key unless one is given', () => {
    expect(key.keyId).toBe(keyIdOf(key.publicKey));
    expect(key.keyId).toMatch(/^ed25519-[0-9a-f]{16}$/);
  });

  it('refuses a key that is not Ed25519, and a ring whose retired key reuses the signing key id', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => signingKeyFrom(rsa, undefined, 'KEY')).toThrow('KEY: is a rsa key, not Ed25519');
    expect(() => signingKeyFrom('nonsense', undefined, 'KEY')).toThrow('KEY: is not a PEM private key');
    expect(() => keyRing(key, new Map([[key.keyId, key.publicKey]]), 'RETIRED')).toThrow("the signing key's own");
  });

  it('refuses a key set that is not one, naming the first problem', () => {
    expect(() => publicKeysFromJwks('{"keys":[{"kty":"RSA"}]}', 'FILE')).toThrow('FILE: is not an Ed25519 JSON Web Key Set (keys.0.kty');
    expect(() => publicKeysFromJwks('not json', 'FILE')).toThrow('FILE: is not JSON');
  });

  it('lists the legal holds the deletion waited for, set and released, from the audit records', () => {
    const record = (type: AuditRecord['type'], at: number, outcome: AuditRecord['outcome'] = 'applied'): AuditRecord => ({
      subscriptionId: 's',
      tenantId: 't',
      eventId: `e-${at}`,
      type,
      occurredAt: at,
      recordedAt: at,
      actor: { kind: 'operator', id: 'ops' },
      outcome,
      reason: type,
      statusBefore: 'suspended',
      statusAfter: 'suspended',
    });
    expect(
      legalHoldsOf([
        record('legal-hold-released', T0 + 3),
        record('legal-hold-set', T0 + 1),
        record('legal-hold-set', T0 + 2, 'rejected'),
        record('legal-hold-set', T0 + 4),
      ]),
    ).toEqual([
      { setAt: new Date(T0 + 1).toISOString(), releasedAt: new Date(T0 + 3).toISOString() },
      { setAt: new Date(T0 + 4).toISOString(), releasedAt: null },
    ]);
  });
});

describe('the contract example certificate', () => {
  it('verifies with the example key set, and fails once a count is changed', () => {
    const keys = publicKeysFromJwks(JSON.stringify(EXAMPLE_CERTIFICATE_KEYS), 'example');
    expect(verifyCertificate(exampleCertificate, keys).ok).toBe(true);
    const changed = { ...exampleCertificate, certificate: { ...exampleCertificate.certificate, collections: [] } };
    expect(verifyCertificate(changed, keys)).toMatchObject({ ok: false, check: 'signature' });
  });

  it('names the default policy as it is configured today (a change to the defaults changes the example)', () => {
    expect(exampleCertificate.certificate.policyHash).toBe(policyHash(policyFrom(DEFAULT_POLICY_SETTINGS)));
  });
});
