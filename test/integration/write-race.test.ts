import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import { dataDeletionJob } from '../../jobs/data-deletion.job';
import type { JobDeps } from '../../jobs/job';
import type { Command } from '../../src/domain';
import { AppError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { noMetrics } from '../../src/metrics/metrics';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { applyCommands, type ApplyDeps } from '../../src/use-cases/apply-commands';
import { fraudDetected, HOUR, invoiceOverdue, suspendRequested } from '../support/factories';
import { racingWriter, type RacingWriter } from '../support/racing-writer';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/**
 * MongoDB's write path, run on the local stack: replaces guarded by `{_id, version}`, the lost-race detection, the
 * conflict retries and the deletion job's conflict path. FerretDB applies the same filter (without MongoDB's atomicity,
 * which a race that is interleaved step by step does not need): writer A reads, writer B reads the same version and
 * stores a newer one, then A's write reaches the server. Neither holds a lease, as when a lease lapsed.
 */
describe('two writers racing for one subscription, version-guarded (MongoDB) mode', () => {
  let h: Harness;
  let redis: Redis;
  let a: RacingWriter;
  /** Writer B: the worker's own path. */
  let b: ApplyDeps;

  beforeAll(async () => {
    h = await startWorker({
      MONGO_FILTER_BY_ID_ONLY: 'false',
      DELETION_DELAY: 'PT1H',
      DELETION_REMINDERS: 'none',
      DATA_COLLECTIONS: 'documents',
    });
    redis = new Redis(h.app.config.REDIS_URL);
    b = h.app.processDeps;
  });
  beforeEach(() => {
    a = racingWriter(h, redis);
  });
  afterAll(async () => {
    redis.disconnect();
    await h.stop();
  });

  const once = (command: Command, ref = randomUUID()) => [{ command, deliveryRef: ref }];
  const stored = async (id: string) => await h.app.subscriptions.get(id);
  const applied = async (id: string) =>
    (await h.app.audit.trail(id)).filter((record) => record.outcome === 'applied').map((record) => record.eventId);
  /** Once the effects of every write are out: no pending-effects mark is left. */
  const settled = (id: string) => eventually(async () => expect(await h.app.commits.owing([id])).toEqual(new Set()));

  it('runs the guarded path: the dialect filters by {_id, version}', () => {
    expect(h.app.subscriptions.dialect).toMatchObject({ server: 'ferretdb', filterByIdOnly: false });
  });

  it('a replace that read a version another writer has replaced since loses, and is redone on the newer one', async () => {
    const id = `sub-${randomUUID()}`;
    const first = invoiceOverdue({ subscriptionId: id, invoiceId: 'inv-1' });
    await applyCommands(once(first), b);
    const fraud = fraudDetected({ subscriptionId: id, caseId: 'case-1' });
    const second = invoiceOverdue({ subscriptionId: id, invoiceId: 'inv-2' });
    // A reads version 1; B then stores version 2; A's write, filtered by version 1, matches nothing.
    a.subscriptions.beforeNextWrite(() => applyCommands(once(fraud), b));

    const decided = await applyCommands(once(second), a.apply);

    expect(decided.map((item) => item.decision.outcome)).toEqual(['applied']);
    expect(a.subscriptions.lost).toEqual([new Set([id]), new Set()]);
    const after = await stored(id);
    expect(after?.version).toBe(3);
    // Nothing B wrote is lost, and A's change is applied once, on top of it.
    expect(after?.state.holds.map((hold) => [hold.reason, hold.refs])).toEqual([
      ['nonpayment', ['inv-1', 'inv-2']],
      ['fraud', ['case-1']],
    ]);
    await settled(id);
    expect((await applied(id)).sort()).toEqual([first.eventId, fraud.eventId, second.eventId].sort());
    expect(await h.app.queue.getJobState(deletionJobId(id, 1))).toBe('delayed');
  });

  it('an insert of a subscription another writer has created since the read loses on the duplicate key, and is redone', async () => {
    const id = `sub-${randomUUID()}`;
    const created = suspendRequested({ subscriptionId: id });
    const mine = invoiceOverdue({ subscriptionId: id });
    a.subscriptions.beforeNextWrite(() => applyCommands(once(created), b));

    await applyCommands(once(mine), a.apply);

    expect(a.subscriptions.lost).toEqual([new Set([id]), new Set()]);
    expect((await stored(id))?.version).toBe(2);
    expect((await stored(id))?.state.holds.map((hold) => hold.reason).sort()).toEqual(['customer_request', 'nonpayment']);
    await settled(id);
    expect((await applied(id)).sort()).toEqual([created.eventId, mine.eventId].sort());
  });

  it('in a bulk of several, only the subscription that changed meanwhile is redone: the token tells the winners', async () => {
    const ids = [0, 1, 2].map(() => `sub-${randomUUID()}`);
    await applyCommands(
      ids.flatMap((id) => once(invoiceOverdue({ subscriptionId: id }))),
      b,
    );
    const [, middle = ''] = ids;
    a.subscriptions.beforeNextWrite(() => applyCommands(once(fraudDetected({ subscriptionId: middle })), b));

    await applyCommands(
      ids.flatMap((id) => once(invoiceOverdue({ subscriptionId: id, invoiceId: 'inv-2' }))),
      a.apply,
    );

    expect(a.subscriptions.lost).toEqual([new Set([middle]), new Set()]);
    expect(await Promise.all(ids.map(async (id) => (await stored(id))?.version))).toEqual([2, 3, 2]);
    for (const id of ids) await settled(id);
  });

  it('gives up after its conflict retries with the retriable VERSION_CONFLICT, having applied nothing', async () => {
    const id = `sub-${randomUUID()}`;
    await applyCommands(once(invoiceOverdue({ subscriptionId: id })), b);
    const contested = racingWriter(h, redis, { maxConflictRetries: 2 });
    // Every attempt (the first and two retries) is overtaken by another write.
    for (let n = 0; n < 3; n++)
      contested.subscriptions.beforeNextWrite(() => applyCommands(once(fraudDetected({ subscriptionId: id, caseId: `case-${n}` })), b));
    const mine = invoiceOverdue({ subscriptionId: id, invoiceId: 'inv-2' });

    const failure = await applyCommands(once(mine), contested.apply).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'VERSION_CONFLICT', retriable: true });
    expect(contested.subscriptions.lost).toEqual([new Set([id]), new Set([id]), new Set([id])]);
    expect((await stored(id))?.version).toBe(4);
    await settled(id);
    expect(await applied(id)).not.toContain(mine.eventId);
    // The partition runner retries the slice as a transient fault; with nobody in the way, it applies.
    await applyCommands(once(mine), contested.apply);
    expect(await applied(id)).toContain(mine.eventId);
  });

  it('the deletion job whose claim loses to another write stops with VERSION_CONFLICT, deletes nothing, and its retry finishes', async () => {
    const id = `sub-${randomUUID()}`;
    const tenantId = 'tenant-1';
    await h.app.connection
      .collection('documents')
      .insertMany([0, 1, 2].map(() => ({ _id: randomUUID() as never, subscriptionId: id, tenantId })));
    await applyCommands(once(invoiceOverdue({ subscriptionId: id, tenantId })), b);
    await settled(id);
    const jobId = deletionJobId(id, 1);
    // The job as the timer worker runs it, woken after the due time, writing through writer A.
    const deps: JobDeps = {
      connection: h.app.connection,
      subscriptions: a.subscriptions,
      audit: h.app.audit,
      commits: a.commits,
      dataCollections: ['documents'],
      policy: h.app.config.policy,
      certificateKeys: h.app.config.certificateKeys,
      clock: () => Date.now() + 2 * HOUR,
      logger: createLogger('silent'),
      metrics: noMetrics,
      queue: h.app.queue,
      failpoint: () => undefined,
      locks: a.locks,
    };
    const payload = { subscriptionId: id, generation: 1 };
    // Between the job's read and its claim, a fraud signal arrives: the subscription is still suspended, one version on.
    a.subscriptions.beforeNextWrite(() => applyCommands(once(fraudDetected({ subscriptionId: id, tenantId })), b));

    const failure = await dataDeletionJob.process(payload, jobId, deps).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'VERSION_CONFLICT', retriable: true });
    expect(a.subscriptions.lost).toEqual([new Set([id])]);
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: id })).toBe(3);
    expect((await stored(id))?.state).toMatchObject({ status: 'suspended', deletion: { claimedAt: null } });

    // BullMQ runs it again: it claims the newer version and deletes.
    expect(await dataDeletionJob.process(payload, jobId, deps)).toEqual({ kind: 'done', outcome: 'data-deleted' });
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: id })).toBe(0);
    expect((await stored(id))?.state).toMatchObject({
      status: 'deleted',
      receipt: { collections: [{ collection: 'documents', deleted: 3 }] },
    });
  });
});
