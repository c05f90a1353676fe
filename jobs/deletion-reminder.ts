import type { Owed } from '../src/commit/commit-path';
import { timerAudit, wakeBeforeDue, type Subscription } from '../src/domain';
import { stableId } from '../src/storage/ids';
import type { JobDeps, JobResult } from './job';

/**
 * The deletion timer's early wakes: tell downstream systems a deletion is coming, then sleep until the next reminder or
 * the deletion. Ids are stable per reminder, so a wake retried after a crash publishes and audits the same records.
 */
export async function remindAndSleep(state: Subscription, jobId: string, deps: JobDeps, owed: readonly Owed[] = []): Promise<JobResult> {
  const timer = state.deletion;
  if (timer === null) throw new Error('unreachable: an early wake needs a timer');
  const now = deps.clock();
  const wake = wakeBeforeDue(state, timer, jobId, now);
  if (wake.reminder !== null) {
    const { offset, effect } = wake.reminder;
    const record = timerAudit(state, state.subscriptionId, 'reminder-job', jobId, now, 'applied', `deletion-reminder ${offset}`);
    await deps.commits.commit({
      writes: [],
      owed,
      publish: effect.kind === 'publish' ? [{ id: stableId(state.subscriptionId, jobId, 'reminder', offset), event: effect.event }] : [],
      audit: [{ _id: stableId('audit', state.subscriptionId, jobId, 'reminder', offset), ...record }],
    });
    deps.metrics.reminderSent();
  } else if (owed.length > 0) {
    await deps.commits.commit({ writes: [], owed });
  }
  return { kind: 'delay-until', at: wake.nextAt };
}
