import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { asHexDigest, recordHash, type SignedCertificate } from '../../src/domain';
import { sha256Bytes } from '../../src/proof/digest';
import { signCertificate } from '../../src/proof/certificates';
import { CERTIFICATE_KEYS_PATH } from '../../src/http/certificate-keys.routes';
import { applyCommands } from '../../src/use-cases/apply-commands';
import { setPolicy } from '../../src/use-cases/tenant-policies';
import { runCliHere } from '../support/cli-run';
import { newIds, suspendRequested, type Ids } from '../support/events';
import { testSigningKey, writeKeySet } from '../support/signing-keys';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/** Deletion certificates on the real stack: issued, stored, published, served keys, verified offline, forgeries caught. */
describe('deletion certificates', () => {
  const current = testSigningKey('test-current');
  const retired = testSigningKey('test-retired');
  let h: Harness;
  let certificate: SignedCertificate;
  let ids: Ids;

  beforeAll(async () => {
    h = await startWorker({
      DELETION_DELAY: 'PT3S',
      DELETION_REMINDERS: 'none',
      LEGAL_HOLD_RELEASE_GRACE: 'PT2S',
      DATA_COLLECTIONS: 'documents,files',
      DELETION_SIGNING_KEY_FILE: current.file,
      DELETION_SIGNING_KEY_ID: 'test-current',
      DELETION_RETIRED_KEYS_FILE: writeKeySet(current.dir, 'retired.json', [retired.key]),
    });
    // One deletion for every test below: suspended, held, released, deleted.
    ids = newIds('certified');
    const rows = (n: number) => Array.from({ length: n }, () => ({ _id: randomUUID() as never, ...ids }));
    await h.app.connection.collection('documents').insertMany(rows(3));
    await h.app.connection.collection('files').insertMany(rows(2));
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('suspended'));
    const hold = (type: 'legal-hold-set' | 'legal-hold-released') => [
      {
        command: {
          eventId: randomUUID(),
          occurredAt: Date.now(),
          ...ids,
          actor: { kind: 'operator' as const, id: 'ops-alice' },
          instruction: { type, reason: 'litigation L-17' },
        },
        deliveryRef: 'test',
      },
    ];
    await applyCommands(hold('legal-hold-set'), h.app.processDeps);
    await applyCommands(hold('legal-hold-released'), h.app.processDeps);
    await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('deleted'), 40_000);
    const stored = (await h.app.subscriptions.get(ids.subscriptionId))?.state.receipt?.certificate;
    if (stored === undefined) throw new Error('the tombstone has no certificate');
    certificate = stored;
  });
  afterAll(async () => {
    await h.stop();
    fs.rmSync(current.dir, { recursive: true, force: true });
    fs.rmSync(retired.dir, { recursive: true, force: true });
  });

  /** The public keys as anyone fetches them, saved to a file. */
  async function servedKeys(): Promise<string> {
    const response = await fetch(`${h.baseUrl}${CERTIFICATE_KEYS_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/jwk-set+json');
    const file = path.join(current.dir, `served-${randomUUID()}.json`);
    fs.writeFileSync(file, await response.text());
    return file;
  }
  const saved = (value: unknown): string => {
    const file = path.join(current.dir, `certificate-${randomUUID()}.json`);
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };
  /** `certificate verify` with no settings at all: nothing to connect to, only the files. */
  const verify = async (file: string, keys: string) => await runCliHere(['--json', 'certificate', 'verify', file, '--keys', keys], {});

  it('states what was deleted, under which policy, after which legal hold, and is stored with the tombstone', async () => {
    expect(certificate.certificate).toMatchObject({
      format: 'billing-enforcer.deletion-certificate.v1',
      keyId: 'test-current',
      certificateId: `${ids.subscriptionId}/2`,
      ...ids,
      policyVersion: 'default',
      statusAtDeletion: 'suspended',
      collections: [
        { collection: 'documents', deleted: 3, remaining: 0 },
        { collection: 'files', deleted: 2, remaining: 0 },
      ],
      legalHolds: [{ setAt: expect.any(String), releasedAt: expect.any(String) }],
    });
    const body = certificate.certificate;
    expect(Date.parse(body.deletedAt)).toBeGreaterThanOrEqual(Date.parse(body.deletionAnnouncedFor));
    expect(body.auditChain.records).toBeGreaterThanOrEqual(3);
    // Its head is the hash of the chain's record at that place, recomputed (records do not store it) and spelled as v1 says.
    const last = (await h.app.audit.chainOf(ids.subscriptionId)).find((record) => record.chain?.seq === body.auditChain.records);
    expect(body.auditChain.head).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(body.auditChain.head).toBe(asHexDigest(recordHash(last!, sha256Bytes)!));
    // The API hands out the same certificate.
    const response = await fetch(`${h.baseUrl}/v1/subscriptions/${ids.subscriptionId}`, {
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    });
    expect(((await response.json()) as { receipt: { certificate: unknown } }).receipt.certificate).toEqual(certificate);
  });

  it("names the tenant's policy version its timer was planned under, and that policy's hash", async () => {
    const tenant = newIds('versioned');
    await setPolicy(
      h.app.policies,
      // Delays of tenants start at a day; a threshold of its own makes a version whose delay is this test's PT3S.
      { tenantId: tenant.tenantId, override: { fraudScoreThreshold: 0.5 }, applyToPending: false },
      { actor: 'ops-alice', reason: 'test: a tenant of its own' },
    );
    await h.produce(h.topics.customer, [suspendRequested(tenant)]);
    await eventually(async () => expect((await h.app.subscriptions.get(tenant.subscriptionId))?.state.status).toBe('deleted'), 40_000);
    const versioned = (await h.app.subscriptions.get(tenant.subscriptionId))?.state.receipt?.certificate?.certificate;
    expect(versioned?.policyVersion).toBe('1');
    expect(versioned?.policyHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(versioned?.policyHash).not.toBe(certificate.certificate.policyHash);
  });

  it('travels with subscription.data-deleted, and the event verifies as it was published', async () => {
    const event = await eventually(() => {
      const found = h.lifecycle.find((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.data-deleted');
      expect(found).toBeDefined();
      return found!.json() as { data: { certificate: unknown } };
    });
    expect(event.data.certificate).toEqual(certificate);
    const run = await verify(saved(event), await servedKeys());
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ verified: true, keyId: 'test-current' });
  });

  it('verifies offline with the served keys, and says which check fails for a changed field, a forgery or an unknown key', async () => {
    const keys = await servedKeys();
    expect((await verify(saved(certificate), keys)).code).toBe(0);
    // What an operator saves from `status --json` verifies as it is.
    const env = {
      MONGODB_URI: h.app.config.MONGODB_URI,
      REDIS_URL: h.app.config.REDIS_URL,
      QUEUE_PREFIX: h.app.config.QUEUE_PREFIX,
      TIMER_QUEUE: h.app.config.TIMER_QUEUE,
    };
    const status = await runCliHere(['--json', 'status', ids.subscriptionId], env);
    expect(status.code).toBe(0);
    const fromStatus = path.join(current.dir, 'status.json');
    fs.writeFileSync(fromStatus, status.stdout);
    expect((await verify(fromStatus, keys)).code).toBe(0);
    expect((await runCliHere(['status', ids.subscriptionId], env)).stdout).toContain(
      `certificate: ${ids.subscriptionId}/2, signed by key test-current`,
    );

    const edited = { ...certificate, certificate: { ...certificate.certificate, collections: [] } };
    const editedRun = await verify(saved(edited), keys);
    expect(editedRun.code).toBe(5);
    expect(editedRun.json()).toMatchObject({ verified: false, check: 'signature' });

    // Someone with another key signs the same statement under our key id.
    const forger = testSigningKey('test-current');
    const forgedRun = await verify(saved(signCertificate({ ...certificate.certificate, customerId: 'not-them' }, forger.key)), keys);
    expect(forgedRun.code).toBe(5);
    expect(forgedRun.json()).toMatchObject({ verified: false, check: 'signature' });

    const stranger = testSigningKey();
    const strangerRun = await verify(saved(signCertificate({ ...certificate.certificate, keyId: stranger.key.keyId }, stranger.key)), keys);
    expect(strangerRun.code).toBe(5);
    expect(strangerRun.json()).toMatchObject({ verified: false, check: 'key-id' });

    const added = await verify(saved({ ...certificate, certificate: { ...certificate.certificate, note: 'hi' } }), keys);
    expect(added.json()).toMatchObject({ verified: false, check: 'format', problems: [expect.stringContaining('note')] });
    for (const dir of [forger.dir, stranger.dir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps certificates of a retired key verifiable: the served set has both, the signing key first', async () => {
    const keys = await servedKeys();
    expect((JSON.parse(fs.readFileSync(keys, 'utf8')) as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toEqual([
      'test-current',
      'test-retired',
    ]);
    const old = signCertificate({ ...certificate.certificate, keyId: 'test-retired' }, retired.key);
    expect((await verify(saved(old), keys)).code).toBe(0);
    // The CLI prints the same set from the worker's own settings, with nothing to connect to.
    const printed = await runCliHere(['--json', 'certificate', 'public-key'], {
      DELETION_SIGNING_KEY_FILE: current.file,
      DELETION_SIGNING_KEY_ID: 'test-current',
      DELETION_RETIRED_KEYS_FILE: path.join(current.dir, 'retired.json'),
    });
    expect(printed.code).toBe(0);
    expect(printed.json()).toEqual(JSON.parse(fs.readFileSync(keys, 'utf8')));
  });
});
