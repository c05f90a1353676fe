import { claimDeletion, completeDeletion, recordProgress, timerAudit, type Subscription } from '../src/domain';
import { AppError } from '../src/errors';
import { DATA_DELETION, dataDeletionPayload } from '../src/queue/timer-jobs';
import { certifyDeletion } from './deletion-certificate';
import { remindAndSleep } from './deletion-reminder';
import { stableId } from '../src/storage/ids';
import { mongoCall } from '../src/storage/mongo-errors';
import type { OutboxEntry } from '../src/storage/outbox';
import { defineJob, type JobDeps, type JobResult } from './job';

interface Held {
  state: Subscription;
  version: number;
}

/** Each step is its own commit: the state with the step's effects (if any), carried out before the next step. */
async function save(held: Held, deps: JobDeps, outbox: readonly OutboxEntry[] = []): Promise<Held> {
  const conflicts = await deps.commits.commit({ writes: [{ state: held.state, expectedVersion: held.version, outbox }] });
  if (conflicts.size > 0) {
    // Another run of this job holds the subscription; BullMQ retries this one, which resumes from the recorded progress.
    throw new AppError('VERSION_CONFLICT', 'subscription changed during deletion', {
      context: { subscriptionId: held.state.subscriptionId },
    });
  }
  return { ...held, version: held.version + 1 };
}

/**
 * A subscription's deletion timer, one job: before the deletion is due it wakes for each reminder (deletion-reminder.ts).
 * When due, it deletes the subscription's data: claim in MongoDB (still not active, due, no legal hold),
 * delete from each data collection within the subscription's tenant, then leave a tombstone with the receipt and the
 * signed certificate (deletion-certificate.ts).
 * Every step is recorded, so a retry after a crash finishes the job and reports the right counts.
 */
export const dataDeletionJob = defineJob({
  name: DATA_DELETION,
  payload: dataDeletionPayload,
  async process({ subscriptionId, generation }, jobId, deps) {
    return await deps.locks.withLocks([subscriptionId], () => deleteSubscriptionData(subscriptionId, generation, jobId, deps));
  },
});

async function deleteSubscriptionData(subscriptionId: string, generation: number, jobId: string, deps: JobDeps): Promise<JobResult> {
  const { stored, owed } = await deps.commits.loadOne(subscriptionId);
  // Effects a crashed writer left owed go out with this job's first commit, whatever it decides.
  const owing = owed === null ? [] : [owed];
  const now = deps.clock();
  const claim = claimDeletion(stored?.state ?? null, generation, now);
  if (!claim.ok) {
    if (claim.reason === 'not-due' && stored !== null) return await remindAndSleep(stored, jobId, deps, owing);
    const record = timerAudit(
      stored?.state ?? null,
      subscriptionId,
      'deletion-job',
      jobId,
      now,
      'ignored',
      `deletion skipped: ${claim.reason}`,
    );
    const entry = {
      id: stableId('audit', subscriptionId, jobId, 'skipped', claim.reason, stored?.version ?? 0),
      kind: 'audit' as const,
      record,
    };
    // A stored subscription's record rides a write of its unchanged state, which moves its audit chain's head.
    if (stored === null) await deps.commits.commit({ writes: [], owed: owing, audit: [{ _id: entry.id, ...record }] });
    else await save({ state: stored.state, version: stored.version }, deps, [...(owed?.outbox ?? []), entry]);
    return { kind: 'done', outcome: `skipped: ${claim.reason}` };
  }
  if (stored === null) throw new Error('unreachable: a claim needs a stored subscription');
  let held: Held = { state: claim.state, version: stored.version };
  if (!claim.alreadyClaimed || owed !== null) held = await save(held, deps, owed?.outbox);

  const filter = { subscriptionId, tenantId: held.state.tenantId };
  for (const collection of deps.dataCollections) {
    const recorded = held.state.deletion?.progress.find((entry) => entry.collection === collection);
    if (recorded?.deleted != null) continue;
    const target = deps.connection.collection(collection);
    // Through the adapter's mapping, so an outage is the retriable DEPENDENCY_UNAVAILABLE the timer retries.
    const matched = recorded?.matched ?? (await mongoCall({ op: 'countDocuments', collection }, () => target.countDocuments(filter)));
    if (recorded === undefined)
      held = await save({ ...held, state: recordProgress(held.state, { collection, matched, deleted: null }, deps.clock()) }, deps);
    const { deletedCount } = await mongoCall({ op: 'deleteMany', collection }, () => target.deleteMany(filter));
    // After a crash mid-delete, the count taken before it is what this subscription lost.
    const deleted = recorded === undefined ? deletedCount : Math.max(recorded.matched, deletedCount);
    held = await save({ ...held, state: recordProgress(held.state, { collection, matched, deleted }, deps.clock()) }, deps);
    deps.logger.info({ subscriptionId, jobId, collection, deleted }, 'subscription data deleted from collection');
    deps.failpoint('deletion.after-collection');
  }

  const doneAt = deps.clock();
  const certificate = await certifyDeletion(held.state, doneAt, deps);
  const completed = completeDeletion(held.state, jobId, doneAt, certificate);
  const record = timerAudit(held.state, subscriptionId, 'deletion-job', jobId, doneAt, 'applied', 'data-deleted', completed.state);
  const outbox: OutboxEntry[] = [
    ...completed.effects.map((effect, index): OutboxEntry => ({
      id: stableId(subscriptionId, jobId, 'deleted', index),
      kind: 'effect',
      effect,
    })),
    { id: stableId('audit', subscriptionId, jobId, 'applied'), kind: 'audit', record },
  ];
  await save({ ...held, state: completed.state }, deps, outbox);
  deps.metrics.deletionExecuted(completed.state.receipt?.collections ?? []);
  return { kind: 'done', outcome: 'data-deleted' };
}
