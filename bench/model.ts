import { decide, policyFrom, type PolicySettings, type Subscription } from '../src/domain';
import { project } from '../test/support/state-projection';
import type { BenchEvent } from './event-mix';

/** Final states the pure domain computes from the log in produced order, `now(event)` standing for the apply time. */
export function finalStates(
  events: readonly BenchEvent[],
  settings: PolicySettings,
  now: (index: number) => number = (index) => events[index]?.command.occurredAt ?? 0,
): Map<string, Subscription> {
  const policy = policyFrom(settings);
  const states = new Map<string, Subscription>();
  events.forEach((event, index) => {
    const decision = decide(states.get(event.command.subscriptionId) ?? null, event.command, policy, now(index));
    if (decision.state !== null) states.set(event.command.subscriptionId, decision.state);
  });
  return states;
}

/** Differences between what the model expects and what the store holds (empty when they agree); at most `limit` listed. */
export function stateDifferences(
  expected: ReadonlyMap<string, Subscription>,
  stored: ReadonlyMap<string, Pick<Subscription, 'status' | 'holds'>>,
  limit = 10,
): { count: number; examples: string[] } {
  let count = 0;
  const examples: string[] = [];
  const note = (text: string) => {
    count++;
    if (examples.length < limit) examples.push(text);
  };
  for (const [id, state] of expected) {
    const want = JSON.stringify(project(state));
    const found = stored.get(id);
    const got = found === undefined ? 'missing' : JSON.stringify(project(found));
    if (want !== got) note(`${id}: expected ${want}, got ${got}`);
  }
  for (const id of stored.keys()) if (!expected.has(id)) note(`${id}: stored, the model has no such subscription`);
  return { count, examples };
}

/** Deletion-job ids a set of stored states requires: one per suspended or cancelled subscription, named by its timer generation. */
export function expectedDeletionJobs(stored: ReadonlyMap<string, Pick<Subscription, 'status' | 'deletion'>>): Set<string> {
  const ids = new Set<string>();
  for (const [id, state] of stored)
    if ((state.status === 'suspended' || state.status === 'cancelled') && state.deletion !== null)
      ids.add(`d.${state.deletion.generation}.${id}`);
  return ids;
}

/**
 * Compares the job ids in Redis with the stored timers: every required deletion job exists, and no job (deletion or
 * reminder, `<kind>.<generation>.[…].<subscriptionId>`) belongs to a timer that is not the subscription's current one.
 */
export function jobDifferences(
  stored: ReadonlyMap<string, Pick<Subscription, 'status' | 'deletion'>>,
  jobIds: readonly string[],
  limit = 10,
): { count: number; examples: string[] } {
  const required = expectedDeletionJobs(stored);
  const present = new Set(jobIds);
  let count = 0;
  const examples: string[] = [];
  const note = (text: string) => {
    count++;
    if (examples.length < limit) examples.push(text);
  };
  for (const id of required) if (!present.has(id)) note(`missing job ${id}`);
  for (const id of jobIds) {
    const parts = id.split('.');
    const subscriptionId = parts[parts.length - 1] ?? '';
    const generation = Number(parts[1]);
    const state = stored.get(subscriptionId);
    const live =
      state !== undefined && (state.status === 'suspended' || state.status === 'cancelled') && state.deletion?.generation === generation;
    if (!live) note(`job ${id} has no live timer (${state?.status ?? 'no subscription'})`);
  }
  return { count, examples };
}
