import type { Owed } from '../src/commit/commit-path';
import { timerAudit, wakeBeforeDue, type Subscription } from '../src/domain';
import { AppError } from '../src/errors';
import { stableId } from '../src/storage/ids';
import type { OutboxEntry } from '../src/storage/outbox';
import type { JobDeps, JobResult } from './job';

/**
 * The deletion timer's early wakes: tell downstream systems a deletion is coming, then sleep until the next reminder or
 * the deletion. Ids are stable per reminder, so a wake retried after a crash publishes and audits the same records.
 */
export async function remindAndSleep(
  stored: { readonly state: Subscription; readonly version: number },
  jobId: string,
  deps: JobDeps,
  owed: readonly Owed[] = [],
): Promise<JobResult> {
  const { state } = stored;
  const timer = state.deletion;
  if (timer === null) throw new Error('unreachable: an early wake needs a timer');
  const now = deps.clock();
  const wake = wakeBeforeDue(state, timer, jobId, now);
  if (wake.reminder !== null) {
    const { offset, effect } = wake.reminder;
    const record = timerAudit(state, state.subscriptionId, 'reminder-job', jobId, now, 'applied', `deletion-reminder ${offset}`);
    // A write of the unchanged state: it carries the record into the subscription's audit chain (and any owed outbox).
    const outbox: OutboxEntry[] = [
      ...owed.flatMap((entry) => entry.outbox),
      { id: stableId(state.subscriptionId, jobId, 'reminder', offset), kind: 'effect', effect },
      { id: stableId('audit', state.subscriptionId, jobId, 'reminder', offset), kind: 'audit', record },
    ];
    const lost = await deps.commits.commit({ writes: [{ state, expectedVersion: stored.version, outbox }] });
    if (lost.size > 0)
      throw new AppError('VERSION_CONFLICT', 'subscription changed during the reminder', {
        context: { subscriptionId: state.subscriptionId },
      });
    deps.metrics.reminderSent();
  } else if (owed.length > 0) {
    await deps.commits.commit({ writes: [], owed });
  }
  return { kind: 'delay-until', at: wake.nextAt };
}
