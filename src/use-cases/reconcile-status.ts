import type { Queue } from 'bullmq';

import type { ReconcileReport } from './reconcile';

/** The last reconciliation any worker ran on a queue: kept in Redis, beside the jobs it checked, for the console. */
export interface ReconcileStatus {
  readonly at: number;
  readonly outcome: 'done' | 'failed';
  readonly report: ReconcileReport | null;
  readonly error: string | null;
}

// Outside BullMQ's `<prefix>:<queue>:` namespace, where a job id could collide with our key.
const key = (queue: Queue): string => `${queue.opts.prefix ?? 'bull'}:billing-enforcer:last-reconcile:${queue.name}`;

export async function recordReconcile(queue: Queue, status: ReconcileStatus): Promise<void> {
  const client = await queue.getBackend().client;
  await client.set(key(queue), JSON.stringify(status));
}

export async function lastReconcile(queue: Queue): Promise<ReconcileStatus | null> {
  const client = await queue.getBackend().client;
  const text = await client.get(key(queue));
  if (text === null) return null;
  try {
    return JSON.parse(text) as ReconcileStatus;
  } catch {
    return null;
  }
}
