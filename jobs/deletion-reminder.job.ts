import { reminderDue, timerAudit } from '../src/domain';
import { DELETION_REMINDER, deletionReminderPayload } from '../src/queue/timer-jobs';
import { stableId } from '../src/storage/ids';
import { defineJob } from './job';

/** Tells downstream systems a deletion is coming, while the timer that set the reminder still stands. */
export const deletionReminderJob = defineJob({
  name: DELETION_REMINDER,
  payload: deletionReminderPayload,
  async process({ subscriptionId, generation, offset }, jobId, deps) {
    const stored = await deps.subscriptions.get(subscriptionId);
    const state = stored?.state ?? null;
    const now = deps.clock();
    const due = reminderDue(state, generation, offset, jobId, now);
    if (!due.send) {
      const record = timerAudit(state, subscriptionId, 'reminder-job', jobId, now, 'ignored', `reminder skipped: ${due.reason}`);
      await deps.audit.append([{ _id: stableId('audit', subscriptionId, jobId, 'skipped', due.reason), ...record }]);
      return { kind: 'done', outcome: `skipped: ${due.reason}` };
    }
    if (due.effect.kind === 'publish')
      await deps.publisher.publish([{ id: stableId(subscriptionId, jobId, 'reminder'), event: due.effect.event }]);
    const record = timerAudit(state, subscriptionId, 'reminder-job', jobId, now, 'applied', `deletion-reminder ${offset}`);
    await deps.audit.append([{ _id: stableId('audit', subscriptionId, jobId, 'applied'), ...record }]);
    deps.metrics.reminderSent();
    return { kind: 'done', outcome: 'reminder-sent' };
  },
});
