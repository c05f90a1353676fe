import { randomUUID } from 'node:crypto';

import { Observer, recordFigures, scenarioEnv } from './support/scenario';
import { WorkerProcess } from './support/worker-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function event(type: string, subscriptionId: string, data: Record<string, unknown>): { key: string; value: string } {
  return {
    key: subscriptionId,
    value: JSON.stringify({
      eventId: randomUUID(),
      type,
      occurredAt: new Date().toISOString(),
      subscriptionId,
      customerId: 'c',
      tenantId: 't',
      data,
    }),
  };
}
const overdue = (id: string) => event('payment.overdue', id, { invoiceId: 'inv-1', amountDue: 1, currency: 'EUR', daysOverdue: 1 });
const settled = (id: string) => event('payment.settled', id, { invoiceId: 'inv-1' });

async function seed(observer: Observer, collections: readonly string[], subscriptionId: string, perCollection: number): Promise<void> {
  for (const name of collections) {
    await observer.connection
      .collection(name)
      .insertMany(Array.from({ length: perCollection }, () => ({ _id: randomUUID() as never, subscriptionId, tenantId: 't' })));
  }
}

describe('faults around data deletion', () => {
  it('a crash after the first of several collections: the retry finishes the deletion and the receipt is right', async () => {
    const collections = ['profiles', 'files', 'messages'];
    const common = { DATA_COLLECTIONS: collections.join(','), DELETION_DELAY: 'PT2S', TIMER_LOCK_DURATION: 'PT3S' };
    const names = scenarioEnv('crash', { ...common, FAILPOINT: 'deletion.after-collection' });
    const observer = await Observer.open(names);
    const crashing = await WorkerProcess.start('crash-0', names.env);
    let worker: WorkerProcess | undefined;
    try {
      await seed(observer, collections, 'victim', 4);
      await seed(observer, collections, 'bystander', 2);
      await observer.producer.send({ topic: names.topics.payments, messages: [overdue('victim')] });
      // The failpoint kills the worker with SIGKILL right after the first collection's documents are gone.
      const exit = await crashing.waitForExit();
      expect(exit).toBeNull();
      expect(await observer.connection.collection('profiles').countDocuments({ subscriptionId: 'victim' })).toBe(0);
      expect(await observer.connection.collection('files').countDocuments({ subscriptionId: 'victim' })).toBe(4);

      const { FAILPOINT: _failpoint, ...env } = names.env;
      worker = await WorkerProcess.start('crash-1', env);
      const deadline = Date.now() + 120_000;
      while ((await observer.states()).get('victim')?.status !== 'deleted') {
        if (Date.now() > deadline) throw new Error('the retry did not finish the deletion');
        await sleep(500);
      }
      const receipt = (await observer.states()).get('victim')?.receipt;
      expect(receipt?.collections).toEqual(collections.map((collection) => ({ collection, deleted: 4 })));
      for (const name of collections) {
        expect(await observer.connection.collection(name).countDocuments({ subscriptionId: 'victim' })).toBe(0);
        expect(await observer.connection.collection(name).countDocuments({ subscriptionId: 'bystander' })).toBe(2);
      }
      recordFigures('crash-mid-deletion', {
        collections: collections.length,
        crashedAfter: 1,
        documentsDeleted: 12,
        receiptCorrect: 'yes',
      });
    } finally {
      await crashing.kill('SIGKILL');
      await worker?.kill('SIGTERM');
      await observer.close();
    }
  });

  it('reactivation racing the moment a deletion fires, many times: an active subscription’s data is never deleted', async () => {
    const names = scenarioEnv('race', { DATA_COLLECTIONS: 'files', DELETION_DELAY: 'PT3S' });
    const observer = await Observer.open(names);
    const worker = await WorkerProcess.start('race-0', names.env);
    const rounds = 3;
    const perRound = 25;
    let reactivatedFirst = 0;
    let deletedFirst = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        const ids = Array.from({ length: perRound }, (_, n) => `race-${round}-${n}`);
        for (const id of ids) await seed(observer, ['files'], id, 3);
        await observer.producer.send({ topic: names.topics.payments, messages: ids.map(overdue) });
        const suspendedAt = Date.now();
        // Settle each around its due time: some just before the job claims the deletion, some just after.
        for (const [n, id] of ids.entries()) {
          const target = suspendedAt + 3_000 + ((n % 9) - 4) * 150;
          await sleep(Math.max(0, target - Date.now()));
          await observer.producer.send({ topic: names.topics.payments, messages: [settled(id)] });
        }
        const deadline = Date.now() + 60_000;
        for (;;) {
          const states = await observer.states();
          const settledOut = ids.every((id) => {
            const state = states.get(id);
            return state?.status === 'deleted' || (state?.status === 'active' && state.deletion === null);
          });
          if (settledOut) break;
          if (Date.now() > deadline) throw new Error('race round did not settle');
          await sleep(500);
        }
        await sleep(4_000); // any late job has had its chance to fire
        const states = await observer.states();
        for (const id of ids) {
          const state = states.get(id);
          const files = await observer.connection.collection('files').countDocuments({ subscriptionId: id });
          if (state?.status === 'active') {
            reactivatedFirst++;
            expect({ id, files }).toEqual({ id, files: 3 });
          } else {
            deletedFirst++;
            expect({ id, status: state?.status, files }).toEqual({ id, status: 'deleted', files: 0 });
          }
        }
      }
      recordFigures('reactivation-race', { races: rounds * perRound, reactivatedFirst, deletedFirst, activeWithDataDeleted: 0 });
    } finally {
      await worker.kill('SIGTERM');
      await observer.close();
    }
  });
});
