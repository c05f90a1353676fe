import { randomUUID } from 'node:crypto';

import { generateEventLog, model } from './support/event-log';
import { startServer, stopServer } from './support/reliability-stack';
import { Observer, recordFigures, scenarioEnv } from './support/scenario';
import { WorkerProcess } from './support/worker-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('servers fail under the worker', () => {
  it('MongoDB-wire server stopped for 15 s: the worker pauses and retries, no valid event is dead-lettered, nothing is committed past an unapplied event', async () => {
    const names = scenarioEnv('mongo');
    const events = generateEventLog({ seed: 7, subscriptions: 100, perSubscription: 8, prefix: 'm' });
    const expected = model(events);
    let worker = await WorkerProcess.start('mongo-0', names.env);
    const observer = await Observer.open(names);
    const half = Math.floor(events.length / 2);
    try {
      await observer.produce(events.slice(0, half), { chunk: 100, pauseMs: 50 });
      await stopServer('ferretdb');
      const outageStarted = Date.now();
      // Events keep arriving while the database is away.
      await observer.produce(events.slice(half), { chunk: 100, pauseMs: 50 });
      await sleep(Math.max(0, 8_000 - (Date.now() - outageStarted)));
      // A crash during the outage: if any offset had been committed past an unapplied event, that event would now be lost.
      await worker.kill('SIGKILL');
      await sleep(Math.max(0, 15_000 - (Date.now() - outageStarted)));
      const outageMs = Date.now() - outageStarted;
      await startServer('ferretdb');
      worker = await WorkerProcess.start('mongo-1', names.env);
      await observer.waitUntilSettled(expected.uniqueEventIds);
      expect(await observer.differencesFromModel(expected)).toEqual([]);
      expect(await observer.deadLetterCount()).toBe(0);
      recordFigures('mongodb-outage', { eventsProduced: events.length, outageSeconds: Math.round(outageMs / 1000), deadLettered: 0 });
    } finally {
      await startServer('ferretdb');
      await worker.kill('SIGTERM');
      await observer.close();
    }
  });

  it('Kafka broker restarted: the worker reconnects and carries on', async () => {
    const names = scenarioEnv('kafka');
    const events = generateEventLog({ seed: 11, subscriptions: 100, perSubscription: 8, prefix: 'b' });
    const expected = model(events);
    const worker = await WorkerProcess.start('kafka-0', names.env);
    const observer = await Observer.open(names);
    const half = Math.floor(events.length / 2);
    try {
      await observer.produce(events.slice(0, half), { chunk: 100, pauseMs: 50 });
      const restarted = Date.now();
      await stopServer('kafka');
      await startServer('kafka');
      const downMs = Date.now() - restarted;
      await observer.produce(events.slice(half), { chunk: 100, pauseMs: 50 });
      await observer.waitUntilSettled(expected.uniqueEventIds);
      expect(await observer.differencesFromModel(expected)).toEqual([]);
      expect(await observer.deadLetterCount()).toBe(0);
      recordFigures('kafka-restart', { eventsProduced: events.length, brokerDownSeconds: Math.round(downMs / 1000) });
    } finally {
      await worker.kill('SIGTERM');
      await observer.close();
    }
  });

  it('Redis restarted mid-run: delayed deletions survive (AOF); none fires early or is lost', async () => {
    const names = scenarioEnv('redis', { DELETION_DELAY: 'PT20S' });
    const worker = await WorkerProcess.start('redis-0', names.env);
    const observer = await Observer.open(names);
    try {
      const subscriptions = Array.from({ length: 60 }, (_, n) => `r-${n}`);
      const overdue = (subscriptionId: string) => ({
        topic: 'payments' as const,
        key: subscriptionId,
        value: JSON.stringify({
          eventId: randomUUID(),
          type: 'payment.overdue',
          occurredAt: new Date().toISOString(),
          subscriptionId,
          customerId: 'c',
          tenantId: 't',
          data: { invoiceId: 'inv-1', amountDue: 1, currency: 'EUR', daysOverdue: 1 },
        }),
      });
      await observer.producer.send({ topic: names.topics.payments, messages: subscriptions.slice(0, 30).map((id) => overdue(id)) });
      await sleep(3_000);
      await stopServer('redis');
      // Events arriving while Redis is away are held, not lost: their timers are set once it is back.
      await observer.producer.send({ topic: names.topics.payments, messages: subscriptions.slice(30).map((id) => overdue(id)) });
      await sleep(2_000);
      await startServer('redis');

      const deadline = Date.now() + 120_000;
      for (;;) {
        const states = [...(await observer.states()).values()];
        if (states.length === subscriptions.length && states.every((state) => state.status === 'deleted')) break;
        if (Date.now() > deadline)
          throw new Error(`deleted ${states.filter((state) => state.status === 'deleted').length} of ${subscriptions.length}`);
        await sleep(1_000);
      }
      const states = [...(await observer.states()).values()];
      const early = states.filter((state) => state.receipt === null || state.receipt.deletedAt < state.receipt.dueAt);
      expect(early.map((state) => state.subscriptionId)).toEqual([]);
      recordFigures('redis-restart', {
        delayedDeletions: subscriptions.length,
        deletedOnTime: states.length - early.length,
        firedEarly: early.length,
      });
    } finally {
      await startServer('redis');
      await worker.kill('SIGTERM');
      await observer.close();
    }
  });
});
