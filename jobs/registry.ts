import { DATA_DELETION, RECONCILE, type TimerJobName } from '../src/queue/timer-jobs';
import { dataDeletionJob } from './data-deletion.job';
import type { JobDefinition } from './job';
import { reconcileJob } from './reconcile.job';

const JOB_NAMES: readonly TimerJobName[] = [DATA_DELETION, RECONCILE];

/** One processor per job name, checked at start-up: a name with none, or with two, stops the worker. */
export function jobRegistry(
  definitions: readonly JobDefinition[] = [dataDeletionJob, reconcileJob],
): ReadonlyMap<TimerJobName, JobDefinition> {
  const registry = new Map<TimerJobName, JobDefinition>();
  for (const definition of definitions) {
    if (registry.has(definition.name)) throw new Error(`two processors for job ${definition.name}`);
    registry.set(definition.name, definition);
  }
  const missing = JOB_NAMES.filter((name) => !registry.has(name));
  if (missing.length > 0) throw new Error(`no processor for job ${missing.join(', ')}`);
  return registry;
}
