import { random } from '../support/seeded-random';
import { generateEventLog, model } from './support/event-log';
import { Observer, recordFigures, scenarioEnv } from './support/scenario';
import { WorkerProcess } from './support/worker-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker processes die and restart while events flow', () => {
  it('SIGKILL at random moments, several times: nothing lost, no effect applied twice', async () => {
    const names = scenarioEnv('kill');
    const seed = 20261124;
    const rand = random(seed);
    const events = generateEventLog({ seed, subscriptions: 120, perSubscription: 10, prefix: 'k' });
    const expected = model(events);
    let worker = await WorkerProcess.start('kill-0', names.env);
    const observer = await Observer.open(names);
    let kills = 0;
    try {
      const producing = observer.produce(events, { chunk: 150, pauseMs: 150 });
      const progress = { producerDone: false };
      void producing.then(() => (progress.producerDone = true));
      // Kill at random moments while the stream flows, then restart at once, as a supervisor would.
      while (!progress.producerDone || kills < 4) {
        await sleep(300 + rand() * 1_500);
        await worker.kill('SIGKILL');
        kills++;
        worker = await WorkerProcess.start(`kill-${kills}`, names.env);
        if (kills >= 8) break;
      }
      await producing;
      await observer.waitUntilSettled(expected.uniqueEventIds);
      expect(await observer.differencesFromModel(expected)).toEqual([]);
      expect(await observer.deadLetterCount()).toBe(0);
      recordFigures('sigkill', {
        eventsProduced: events.length,
        uniqueEvents: expected.uniqueEventIds.size,
        subscriptions: expected.projections.size,
        kills,
        seed,
      });
    } finally {
      await worker.kill('SIGTERM');
      await observer.close();
    }
  });

  it('three workers in one group, members leaving and joining mid-run: same final state, nothing applied twice', async () => {
    const names = scenarioEnv('group');
    const seed = 424242;
    const events = generateEventLog({ seed, subscriptions: 120, perSubscription: 10, prefix: 'g' });
    const expected = model(events);
    const workers = await Promise.all([0, 1, 2].map((n) => WorkerProcess.start(`group-${n}`, names.env)));
    const observer = await Observer.open(names);
    let rebalances = 0;
    try {
      const producing = observer.produce(events, { chunk: 100, pauseMs: 150 });
      await sleep(1_500);
      // One leaves gracefully, one dies, two join: each change rebalances the group's partitions.
      await workers[0]?.kill('SIGTERM');
      rebalances++;
      workers[0] = await WorkerProcess.start('group-3', names.env);
      rebalances++;
      await sleep(1_000);
      await workers[1]?.kill('SIGKILL');
      rebalances++;
      workers[1] = await WorkerProcess.start('group-4', names.env);
      rebalances++;
      await producing;
      await observer.waitUntilSettled(expected.uniqueEventIds);
      expect(await observer.differencesFromModel(expected)).toEqual([]);
      expect(await observer.deadLetterCount()).toBe(0);
      // Counted by the three workers alive at the end only (a killed worker's counts die with it): a lower bound.
      const leaseWaits = await Promise.all(
        workers.map((worker) => worker.metric('billing_enforcer_subscription_lease_wait_seconds_count')),
      );
      recordFigures('consumer-group', {
        leaseWaitsSeenByLiveWorkers: leaseWaits.reduce((sum, count) => sum + count, 0),
        eventsProduced: events.length,
        uniqueEvents: expected.uniqueEventIds.size,
        workers: 3,
        membershipChanges: rebalances,
        seed,
      });
    } finally {
      await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
      await observer.close();
    }
  });
});
