import { randomUUID } from 'node:crypto';

import { asLeanDigest, hexDigest, recordHash, type ChainHead } from '../../src/domain';
import { sha256Bytes } from '../../src/proof/digest';
import type { AuditVerification } from '../../src/use-cases/audit-verification';
import type { AuditDocument } from '../../src/storage/audit.repository';
import { applyCommands } from '../../src/use-cases/apply-commands';
import { runCliHere } from '../support/cli-run';
import { fraudDetected, newIds, paymentOverdue, paymentSettled, type Ids } from '../support/events';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

/** The audit hash chain on the real stack: every kind of record in it, and each kind of tampering found and named. */
describe('the audit hash chain', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker();
  });
  afterAll(async () => {
    await h.stop();
  });

  const records = () => h.app.connection.collection<AuditDocument>('audit_records');
  // A record's hash is not stored (since issue 21): the next record's prev and the head name it, recomputed.
  const hashOf = (record: AuditDocument | undefined): string | null => (record === undefined ? null : recordHash(record, sha256Bytes));
  const trailOf = async (ids: Ids, count: number): Promise<AuditDocument[]> =>
    await eventually(async () => {
      const trail = await h.app.audit.chainOf(ids.subscriptionId);
      expect(trail).toHaveLength(count);
      return trail;
    });
  const viaApi = async (ids: Ids): Promise<AuditVerification> => {
    const response = await fetch(`${h.baseUrl}/v1/subscriptions/${ids.subscriptionId}/audit/verify`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as AuditVerification;
  };
  const viaCli = async (ids: Ids) =>
    await runCliHere(['--json', 'audit', 'verify', ids.subscriptionId], { MONGODB_URI: h.app.config.MONGODB_URI });

  /** A subscription with three records: suspended, settled, suspended again. */
  async function withTrail(): Promise<{ ids: Ids; trail: AuditDocument[] }> {
    const ids = newIds('chain');
    await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-1'), paymentSettled(ids, 'inv-1'), paymentOverdue(ids, 'inv-2')]);
    const trail = await trailOf(ids, 3);
    expect((await viaApi(ids)).verified).toBe(true);
    return { ids, trail };
  }

  it('holds every record: applied, duplicate, ignored and operator ones, and the stored head names the last', async () => {
    const ids = newIds('every');
    const overdue = paymentOverdue(ids, 'inv-1');
    await h.produce(h.topics.payments, [overdue]);
    await trailOf(ids, 1);
    // The same event again (a duplicate), a fraud signal below the threshold (ignored): no state change, still chained.
    await h.produce(h.topics.payments, [overdue]);
    await trailOf(ids, 2);
    await h.produce(h.topics.fraud, [fraudDetected(ids, 'case-1', 0.1)]);
    await trailOf(ids, 3);
    const command = {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      ...ids,
      actor: { kind: 'operator' as const, id: 'ops-alice' },
      instruction: { type: 'legal-hold-set' as const, reason: 'litigation L-17' },
    };
    await applyCommands([{ command, deliveryRef: 'test' }], h.app.processDeps);
    const trail = await trailOf(ids, 4);

    expect(trail.map((record) => [record.outcome, record.chain?.seq])).toEqual([
      ['applied', 1],
      ['duplicate', 2],
      ['ignored', 3],
      ['applied', 4],
    ]);
    const head = (await h.app.subscriptions.get(ids.subscriptionId))?.state.auditHead;
    expect(head).toEqual({ seq: 4, hash: hashOf(trail[3]) });
    const run = await viaCli(ids);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ verified: true, chained: 4, unchained: 0, broken: null, head });
  });

  it('chains the records of a subscription never stored, and still stores no subscription for them', async () => {
    const ids = newIds('never');
    // Settlements of invoices it never owed: each changes nothing.
    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-1')]);
    await trailOf(ids, 1);
    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-2')]);
    const trail = await trailOf(ids, 2);
    expect(await h.app.subscriptions.get(ids.subscriptionId)).toBeNull();
    expect(trail.map((record) => record.chain?.seq)).toEqual([1, 2]);
    expect(trail[1]?.chain?.prev).toBe(hashOf(trail[0]));
    expect(await viaApi(ids)).toMatchObject({ verified: true, chained: 2 });
    // When it is stored at last, its chain goes on from there.
    await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-3')]);
    const longer = await trailOf(ids, 3);
    expect(longer[2]?.chain).toMatchObject({ seq: 3, prev: hashOf(trail[1]) });
    expect(await viaApi(ids)).toMatchObject({ verified: true, chained: 3 });
  });

  it('finds one changed field of a stored record and names that record', async () => {
    const { ids, trail } = await withTrail();
    const victim = trail[1]!;
    await records().updateOne({ _id: victim._id }, { $set: { reason: 'nothing to see' } });
    expect((await viaApi(ids)).broken).toMatchObject({ kind: 'edited', seq: 2, recordId: victim._id });
    const run = await viaCli(ids);
    expect(run.code).toBe(5);
    expect(run.json()).toMatchObject({ verified: false, broken: { kind: 'edited', recordId: victim._id } });
  });

  it('finds a deleted record, in the middle and at the end', async () => {
    const middle = await withTrail();
    await records().deleteOne({ _id: middle.trail[1]!._id });
    expect((await viaApi(middle.ids)).broken).toMatchObject({ kind: 'removed', seq: 2 });
    const last = await withTrail();
    await records().deleteOne({ _id: last.trail[2]!._id });
    expect((await viaApi(last.ids)).broken).toMatchObject({ kind: 'removed', seq: 3 });
  });

  it('finds two swapped records', async () => {
    const { ids, trail } = await withTrail();
    const [a, b] = [trail[0]!, trail[2]!];
    await records().updateOne({ _id: a._id }, { $set: { chain: b.chain } });
    await records().updateOne({ _id: b._id }, { $set: { chain: a.chain } });
    expect((await viaApi(ids)).broken).toMatchObject({ kind: 'reordered', seq: 1, recordId: b._id });
  });

  it('finds an inserted record', async () => {
    const { ids, trail } = await withTrail();
    const { _id: _original, ...copy } = trail[1]!;
    await records().insertOne({ ...copy, _id: `forged-${randomUUID()}`, reason: 'a forged change' });
    expect((await viaApi(ids)).broken).toMatchObject({ kind: 'inserted' });
  });

  it('stores each record lean, {seq, prev} in base64url with no hash of its own, and finds its last record edited by the head', async () => {
    const { ids, trail } = await withTrail();
    expect(trail.map((record) => Object.keys(record.chain ?? {}).sort())).toEqual([
      ['prev', 'seq'],
      ['prev', 'seq'],
      ['prev', 'seq'],
    ]);
    expect(trail[2]?.chain?.prev).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.auditHead).toEqual({ seq: 3, hash: hashOf(trail[2]) });
    const last = trail[2]!;
    await records().updateOne({ _id: last._id }, { $set: { reason: 'nothing to see' } });
    expect((await viaApi(ids)).broken).toMatchObject({ kind: 'edited', seq: 3, recordId: last._id });
  });

  it('goes on from a chain stored before issue 21 (sha256:<hex> with hashes) and still names a break in its old part', async () => {
    const { ids, trail } = await withTrail();
    // The three records rewritten as the chain stored them before, and the subscription's head with them.
    let head: ChainHead | null = null;
    for (const record of trail) {
      const { chain: _lean, ...content } = record;
      const chain: { seq: number; prev: string | null } = { seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? null };
      head = { seq: chain.seq, hash: hexDigest(sha256Bytes({ ...content, chain })) };
      await records().updateOne({ _id: record._id }, { $set: { chain: { ...chain, hash: head.hash } } });
    }
    await h.app.connection.collection('subscriptions').updateOne({ _id: ids.subscriptionId as never }, { $set: { auditHead: head } });
    expect(await viaApi(ids)).toMatchObject({ verified: true, chained: 3, head });

    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-2')]);
    const longer = await trailOf(ids, 4);
    expect(longer[3]?.chain).toEqual({ seq: 4, prev: asLeanDigest(head!.hash) });
    expect(await viaApi(ids)).toMatchObject({ verified: true, chained: 4, head: { seq: 4, hash: hashOf(longer[3]) } });

    await records().updateOne({ _id: longer[1]!._id }, { $set: { reason: 'nothing to see' } });
    expect((await viaApi(ids)).broken).toMatchObject({ kind: 'edited', seq: 2, recordId: longer[1]!._id });
  });
});
