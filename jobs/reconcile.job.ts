import { reconcile } from '../src/use-cases/reconcile';
import { replanTenants } from '../src/use-cases/tenant-policies';
import { recordReconcile } from '../src/use-cases/reconcile-status';
import { RECONCILE, reconcilePayload } from '../src/queue/timer-jobs';
import { defineJob } from './job';

/** Hourly (RECONCILE_INTERVAL): timers in Redis brought back in line with MongoDB. */
export const reconcileJob = defineJob({
  name: RECONCILE,
  payload: reconcilePayload,
  async process(_payload, _jobId, deps) {
    let report;
    let replanned = 0;
    try {
      // First, so the timers re-planned onto tenants' latest policies are what the pass below checks.
      if (deps.policies !== undefined) replanned = await replanTenants(deps.policies);
      report = await reconcile({
        subscriptions: deps.subscriptions,
        queue: deps.queue,
        clock: deps.clock,
        logger: deps.logger,
        ...(deps.onDrift === undefined ? {} : { onDrift: deps.onDrift }),
      });
    } catch (error) {
      // The console shows the last run whatever its result; recording it must not hide the failure itself.
      await recordReconcile(deps.queue, { at: deps.clock(), outcome: 'failed', report: null, error: String(error) }).catch(() => undefined);
      throw error;
    }
    await recordReconcile(deps.queue, { at: deps.clock(), outcome: 'done', report, error: null });
    return {
      kind: 'done',
      outcome: `reconciled: ${report.missing} missing, ${report.wrongTime} re-timed, ${report.orphans} orphans removed, ${replanned} re-planned to their tenant's policy`,
    };
  },
});
