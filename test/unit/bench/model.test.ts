import { DEFAULT_POLICY_SETTINGS, type Subscription } from '../../../src/domain';
import { generateMix } from '../../../bench/event-mix';
import { expectedDeletionJobs, finalStates, jobDifferences, stateDifferences } from '../../../bench/model';

type Stored = Pick<Subscription, 'status' | 'holds' | 'deletion'>;

describe('bench model check', () => {
  const events = generateMix({ seed: 11, events: 3_000, prefix: 's' });
  const expected = finalStates(events, DEFAULT_POLICY_SETTINGS);

  it('finds no difference between the model and a store that holds it', () => {
    expect(stateDifferences(expected, expected)).toEqual({ count: 0, examples: [] });
    const jobs = [...expectedDeletionJobs(expected)];
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobDifferences(expected, jobs)).toEqual({ count: 0, examples: [] });
  });

  it('names a subscription whose holds differ, and a missing or stale timer job', () => {
    const [id, state] = [...expected].find(([, s]) => s.status === 'suspended') ?? [];
    if (id === undefined || state === undefined) throw new Error('the mix has no suspended subscription');
    const stored = new Map<string, Stored>(expected);
    stored.set(id, { ...state, status: 'active', holds: [], deletion: null });
    expect(stateDifferences(expected, stored).examples[0]).toContain(id);

    const jobs = [...expectedDeletionJobs(expected)];
    const generation = state.deletion?.generation ?? 0;
    const withoutOne = jobs.filter((job) => job !== `d.${generation}.${id}`);
    expect(jobDifferences(expected, withoutOne).examples).toEqual([`missing job d.${generation}.${id}`]);
    const stale = `r.${generation + 1}.P7D.${id}`;
    expect(jobDifferences(expected, [...jobs, stale]).count).toBe(1);
  });
});
