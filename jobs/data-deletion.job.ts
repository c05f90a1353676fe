import { claimDeletion, completeDeletion, recordProgress, timerAudit, type Subscription } from '../src/domain';
import { AppError } from '../src/errors';
import { DATA_DELETION, dataDeletionPayload } from '../src/queue/timer-jobs';
import { remindAndSleep } from './deletion-reminder';
import { stableId } from '../src/storage/ids';
import type { OutboxEntry } from '../src/storage/outbox';
import { defineJob, type JobDeps, type JobResult } from './job';

interface Held {
  state: Subscription;
  version: number;
  outbox: readonly OutboxEntry[];
}

async function save(held: Held, deps: JobDeps, outbox: readonly OutboxEntry[] = held.outbox): Promise<Held> {
  const conflicts = await deps.subscriptions.write([{ state: held.state, expectedVersion: held.version, outbox }]);
  if (conflicts.size > 0) {
    // Another run of this job holds the subscription; BullMQ retries this one, which resumes from the recorded progress.
    throw new AppError('VERSION_CONFLICT', 'subscription changed during deletion', {
      context: { subscriptionId: held.state.subscriptionId },
    });
  }
  return { ...held, version: held.version + 1, outbox };
}

/**
 * A subscription's deletion timer, one job: before the deletion is due it wakes for each reminder (deletion-reminder.ts).
 * When due, it deletes the subscription's data: claim in MongoDB (still not active, due, no legal hold),
 * delete from each data collection within the subscription's tenant, then leave a tombstone with the receipt.
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
  const stored = await deps.subscriptions.get(subscriptionId);
  const now = deps.clock();
  const claim = claimDeletion(stored?.state ?? null, generation, now);
  if (!claim.ok) {
    if (claim.reason === 'not-due' && stored !== null) return await remindAndSleep(stored.state, jobId, deps);
    const record = timerAudit(
      stored?.state ?? null,
      subscriptionId,
      'deletion-job',
      jobId,
      now,
      'ignored',
      `deletion skipped: ${claim.reason}`,
    );
    await deps.audit.append([{ _id: stableId('audit', subscriptionId, jobId, 'skipped', claim.reason, stored?.version ?? 0), ...record }]);
    return { kind: 'done', outcome: `skipped: ${claim.reason}` };
  }
  if (stored === null) throw new Error('unreachable: a claim needs a stored subscription');
  let held: Held = { state: claim.state, version: stored.version, outbox: stored.outbox };
  if (!claim.alreadyClaimed) held = await save(held, deps);

  const filter = { subscriptionId, tenantId: held.state.tenantId };
  for (const collection of deps.dataCollections) {
    const recorded = held.state.deletion?.progress.find((entry) => entry.collection === collection);
    if (recorded?.deleted != null) continue;
    const target = deps.connection.collection(collection);
    const matched = recorded?.matched ?? (await target.countDocuments(filter));
    if (recorded === undefined)
      held = await save({ ...held, state: recordProgress(held.state, { collection, matched, deleted: null }, deps.clock()) }, deps);
    const { deletedCount } = await target.deleteMany(filter);
    // After a crash mid-delete, the count taken before it is what this subscription lost.
    const deleted = recorded === undefined ? deletedCount : Math.max(recorded.matched, deletedCount);
    held = await save({ ...held, state: recordProgress(held.state, { collection, matched, deleted }, deps.clock()) }, deps);
    deps.logger.info({ subscriptionId, jobId, collection, deleted }, 'subscription data deleted from collection');
    deps.failpoint('deletion.after-collection');
  }

  const doneAt = deps.clock();
  const completed = completeDeletion(held.state, jobId, doneAt);
  const record = timerAudit(held.state, subscriptionId, 'deletion-job', jobId, doneAt, 'applied', 'data-deleted', completed.state);
  const outbox: OutboxEntry[] = [
    ...held.outbox,
    ...completed.effects.map((effect, index): OutboxEntry => ({
      id: stableId(subscriptionId, jobId, 'deleted', index),
      kind: 'effect',
      effect,
    })),
    { id: stableId('audit', subscriptionId, jobId, 'applied'), kind: 'audit', record },
  ];
  held = await save({ ...held, state: completed.state }, deps, outbox);
  await deps.dispatcher.dispatch([{ subscriptionId, version: held.version, outbox }]);
  deps.metrics.deletionExecuted(completed.state.receipt?.collections ?? []);
  return { kind: 'done', outcome: 'data-deleted' };
}
