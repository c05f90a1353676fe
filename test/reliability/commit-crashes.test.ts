import { COMMIT_FAILPOINTS } from '../../src/commit/commit-path';
import { generateEventLog, model } from './support/event-log';
import { Observer, recordFigures, scenarioEnv } from './support/scenario';
import { WorkerProcess } from './support/worker-process';

/**
 * A power cut at each step of the commit path (src/commit/commit-path.ts): the worker kills itself with SIGKILL at the
 * named point of its first commit, then a worker without the failpoint takes over. Nothing may be lost, nothing
 * applied twice, no timer or effect left owed.
 */
describe('crashes inside the commit path', () => {
  it.each(COMMIT_FAILPOINTS)('SIGKILL at %s: the next worker finishes it; same final state as the model', async (point) => {
    const names = scenarioEnv(`cp-${point.replace(/\W/g, '')}`.slice(0, 20), { FAILPOINT: point });
    const seed = 7_000 + COMMIT_FAILPOINTS.indexOf(point);
    const events = generateEventLog({ seed, subscriptions: 40, perSubscription: 6, prefix: `c${seed}` });
    const expected = model(events);
    const observer = await Observer.open(names);
    const crashing = await WorkerProcess.start(`${names.env.KAFKA_GROUP_ID ?? point}-0`, names.env);
    let worker: WorkerProcess | undefined;
    try {
      await observer.produce(events, { chunk: 500 });
      expect(await crashing.waitForExit()).toBeNull();
      const { FAILPOINT: _failpoint, ...env } = names.env;
      worker = await WorkerProcess.start(`${names.env.KAFKA_GROUP_ID ?? point}-1`, env);
      await observer.waitUntilSettled(expected.uniqueEventIds);
      expect(await observer.differencesFromModel(expected)).toEqual([]);
      expect(await observer.pendingEffects()).toBe(0);
      expect(await observer.deadLetterCount()).toBe(0);
      recordFigures(`commit-crash ${point}`, { eventsProduced: events.length, subscriptions: expected.projections.size, seed });
    } finally {
      await crashing.kill('SIGKILL');
      await worker?.kill('SIGTERM');
      await observer.close();
    }
  });
});
