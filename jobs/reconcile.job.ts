import { reconcile } from '../src/ops/reconcile';
import { RECONCILE, reconcilePayload } from '../src/queue/timer-jobs';
import { defineJob } from './job';

/** Hourly (RECONCILE_INTERVAL): timers in Redis brought back in line with MongoDB. */
export const reconcileJob = defineJob({
  name: RECONCILE,
  payload: reconcilePayload,
  async process(_payload, _jobId, deps) {
    const report = await reconcile({
      subscriptions: deps.subscriptions,
      queue: deps.queue,
      clock: deps.clock,
      logger: deps.logger,
      ...(deps.onDrift === undefined ? {} : { onDrift: deps.onDrift }),
    });
    return {
      kind: 'done',
      outcome: `reconciled: ${report.missing} missing, ${report.wrongTime} re-timed, ${report.orphans} orphans removed`,
    };
  },
});
