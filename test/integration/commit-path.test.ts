import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import mongoose, { type Connection } from 'mongoose';

import { buildCommitPath } from '../../src/commit/build-commit-path';
import { COMMIT_FAILPOINTS, type CommitPath } from '../../src/commit/commit-path';
import { pendingEffectsKey } from '../../src/commit/pending-effects';
import { eventFingerprint } from '../../src/domain';
import { applyCommands, type ApplyDeps } from '../../src/use-cases/apply-commands';
import { verifyAuditTrail } from '../../src/use-cases/audit-verification';
import { KeyedLock } from '../../src/leases/keyed-lock';
import { OutboxSweeper } from '../../src/use-cases/outbox-sweeper';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { AuditRepository } from '../../src/storage/audit.repository';
import { subscriptionDocument, SubscriptionRepository } from '../../src/storage/subscription.repository';
import { createLogger } from '../../src/logging/logger';
import { fraudCleared, fraudDetected, invoiceOverdue, invoiceSettled } from '../support/factories';
import { testKafka } from '../support/kafka.helper';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

const crash = (at: string | undefined) => (name: string) => {
  if (name === at) throw new Error(`simulated crash at ${name}`);
};

describe('the commit path', () => {
  let h: Harness;
  let redis: Redis;
  beforeAll(async () => {
    h = await startWorker({}, undefined);
    redis = new Redis(h.app.config.REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await h.stop();
  });

  function commitPath(failAt?: string, parts: { subscriptions?: SubscriptionRepository; audit?: AuditRepository } = {}): CommitPath {
    return buildCommitPath({
      database: h.app.connection.name,
      subscriptions: parts.subscriptions ?? h.app.subscriptions,
      audit: parts.audit ?? h.app.audit,
      queue: h.app.queue,
      producer: h.app.producer,
      redis,
      queuePrefix: h.app.config.QUEUE_PREFIX,
      lifecycleTopic: h.topics.lifecycle,
      clock: Date.now,
      failpoint: crash(failAt),
    });
  }
  const deps = (commits: CommitPath): ApplyDeps => ({ ...h.app.processDeps, commits });
  const outboxKey = (id: string) => `${pendingEffectsKey(h.app.config.QUEUE_PREFIX, h.app.connection.name)}:outbox:${id}`;
  const rawDocument = async (id: string) =>
    await h.app.connection.collection<{ _id: string; [field: string]: unknown }>('subscriptions').findOne({ _id: id });
  const marked = async (id: string) => await redis.hexists(pendingEffectsKey(h.app.config.QUEUE_PREFIX, h.app.connection.name), id);
  /** Each distinct lifecycle event (by id) published for a subscription, as its type, sorted. */
  const lifecycleOf = (id: string) => {
    const byId = new Map<unknown, unknown>();
    for (const event of h.lifecycle.map((message) => message.json())) if (event.subscriptionId === id) byId.set(event.eventId, event.type);
    return [...byId.values()].map(String).sort();
  };

  /** Once everything owed is out: suspended, one timer, the suspension's events once each, one applied audit record, no mark. */
  async function expectSuspendedOnce(id: string): Promise<void> {
    // What the same event publishes with no crash, for comparison.
    const control = `sub-${randomUUID()}`;
    await applyCommands([{ command: invoiceOverdue({ subscriptionId: control }), deliveryRef: 'control' }], h.app.processDeps);
    await eventually(() => expect(lifecycleOf(control).length).toBeGreaterThan(0), 15_000);
    const stored = await h.app.subscriptions.get(id);
    expect(stored?.state.status).toBe('suspended');
    const generation = stored?.state.deletion?.generation ?? -1;
    expect(await h.app.queue.getJobState(deletionJobId(id, generation))).toBe('delayed');
    const trail = await h.app.audit.trail(id);
    expect(trail.filter((record) => record.outcome === 'applied')).toHaveLength(1);
    // An outbox carried out again re-inserts its records as they were linked: the audit chain holds.
    expect(await verifyAuditTrail(h.app, id)).toMatchObject({ verified: true, unchained: 0 });
    await eventually(() => expect(lifecycleOf(id)).toEqual(lifecycleOf(control)), 15_000);
    // Nothing more can come: nothing is owed (the mark goes only once the last effect is out), and the listener has
    // read every message the lifecycle topic holds.
    await eventually(async () => expect(await marked(id)).toBe(0));
    await listenerCaughtUp();
    expect(lifecycleOf(id)).toEqual(lifecycleOf(control));
  }

  /** Waits until the harness's listener has read as many lifecycle messages as the topic holds. */
  async function listenerCaughtUp(): Promise<void> {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(h.topics.lifecycle);
      const held = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
      await eventually(() => expect(h.lifecycle.length).toBeGreaterThanOrEqual(held), 15_000);
    } finally {
      await admin.disconnect();
    }
  }

  it.each(COMMIT_FAILPOINTS)('a crash at %s: the redelivered event finishes what is owed, once', async (point) => {
    const id = `sub-${randomUUID()}`;
    const overdue = invoiceOverdue({ subscriptionId: id });
    await expect(applyCommands([{ command: overdue, deliveryRef: 'r1' }], deps(commitPath(point)))).rejects.toThrow(/simulated crash/);
    // As Kafka does after a crash: the same message again, to whichever writer owns the partition now.
    await applyCommands([{ command: overdue, deliveryRef: 'r1' }], h.app.processDeps);
    await expectSuspendedOnce(id);
  });

  it('a crash after the state write: the sweeper finishes the effects of a subscription nobody writes again', async () => {
    const id = `sub-${randomUUID()}`;
    await expect(
      applyCommands([{ command: invoiceOverdue({ subscriptionId: id }), deliveryRef: 'r1' }], deps(commitPath('commit.after-write'))),
    ).rejects.toThrow(/simulated crash/);
    expect(await marked(id)).toBe(1);
    const stored = await h.app.subscriptions.get(id);
    expect(await h.app.queue.getJobState(deletionJobId(id, stored?.state.deletion?.generation ?? -1))).toBe('unknown');

    const sweeper = new OutboxSweeper(commitPath(), new KeyedLock(), Date.now, createLogger('silent'), {
      intervalMs: 60_000,
      minAgeMs: 0,
      pageSize: 10,
    });
    expect(await sweeper.sweepOnce()).toBeGreaterThanOrEqual(1);
    await expectSuspendedOnce(id);
  });

  it('a crash after the records of a subscription never stored went in: the redelivered event leaves its chain intact', async () => {
    const id = `sub-${randomUUID()}`;
    // A settlement for a subscription never seen changes nothing: its record is chained through audit_heads.
    const first = [{ command: invoiceSettled({ subscriptionId: id }), deliveryRef: 'p0@1' }];
    await expect(applyCommands(first, deps(commitPath('commit.after-audit')))).rejects.toThrow('simulated crash');
    // Redelivered: the same record id, linked again after the head that never moved; the stored one is kept.
    await applyCommands(first, h.app.processDeps);
    await applyCommands([{ command: invoiceSettled({ subscriptionId: id, invoiceId: 'inv-2' }), deliveryRef: 'p0@2' }], h.app.processDeps);
    expect(await h.app.subscriptions.get(id)).toBeNull();
    expect(await verifyAuditTrail(h.app, id)).toMatchObject({ verified: true, chained: 2 });
  });

  it('a mark whose write never happened owes nothing: the sweeper drops it and carries nothing out', async () => {
    const id = `sub-${randomUUID()}`;
    await expect(
      applyCommands([{ command: invoiceOverdue({ subscriptionId: id }), deliveryRef: 'r1' }], deps(commitPath('commit.after-mark'))),
    ).rejects.toThrow(/simulated crash/);
    expect(await marked(id)).toBe(1);
    const sweeper = new OutboxSweeper(commitPath(), new KeyedLock(), Date.now, createLogger('silent'), {
      intervalMs: 60_000,
      minAgeMs: 0,
      pageSize: 10,
    });
    await sweeper.sweepOnce();
    expect(await marked(id)).toBe(0);
    expect(await h.app.subscriptions.get(id)).toBeNull();
    expect(await h.app.audit.trail(id)).toEqual([]);
  });

  it('a document holds the state only: no outbox, fingerprints for event ids; what it owes waits in Redis while marked', async () => {
    const id = `sub-${randomUUID()}`;
    const overdue = invoiceOverdue({ subscriptionId: id });
    await expect(applyCommands([{ command: overdue, deliveryRef: 'r1' }], deps(commitPath('commit.after-write')))).rejects.toThrow(
      /simulated crash/,
    );
    const raw = await rawDocument(id);
    expect(Object.keys(raw ?? {})).not.toEqual(expect.arrayContaining(['outbox']));
    expect(raw).toMatchObject({ _id: id, recentEvents: eventFingerprint(overdue.eventId), writeToken: expect.any(String) });
    expect(JSON.stringify(raw)).not.toContain(overdue.eventId);
    // The owed effects are in Redis, under the stored write's token; once carried out, nothing is left there.
    expect(await redis.hkeys(outboxKey(id))).toEqual([raw?.writeToken]);
    await applyCommands([{ command: overdue, deliveryRef: 'r1' }], h.app.processDeps);
    await expectSuspendedOnce(id);
    expect(await redis.exists(outboxKey(id))).toBe(0);
  });

  it('a document of the old shape keeps working: its stored outbox is carried out once, its ids still dedupe, its next write is the new shape', async () => {
    const id = `sub-${randomUUID()}`;
    const overdue = invoiceOverdue({ subscriptionId: id });
    await expect(applyCommands([{ command: overdue, deliveryRef: 'r1' }], deps(commitPath('commit.after-write')))).rejects.toThrow(
      /simulated crash/,
    );
    // Rewrite it as a writer before issue 21 stored it: the outbox inside, whole event ids, clocks as objects.
    const owed = await redis.hvals(outboxKey(id));
    const stored = await h.app.subscriptions.get(id);
    const { recentEvents: _fingerprints, ...legacyState } = stored!.state;
    await redis.del(outboxKey(id));
    await h.app.connection.collection('subscriptions').replaceOne(
      { _id: id as never },
      {
        ...legacyState,
        recentEventIds: [overdue.eventId],
        outbox: JSON.parse(owed[0] ?? '[]') as unknown[],
        version: stored?.version,
        writeToken: stored?.writeToken,
      },
    );
    expect(await marked(id)).toBe(1);

    // The same event again is a duplicate by its whole id; the old outbox is carried out, once.
    const [again] = await applyCommands([{ command: overdue, deliveryRef: 'r1' }], h.app.processDeps);
    expect(again?.decision.outcome).toBe('duplicate');
    await expectSuspendedOnce(id);

    const fraud = fraudDetected({ subscriptionId: id });
    await applyCommands([{ command: fraud, deliveryRef: 'r2' }], h.app.processDeps);
    const raw = await rawDocument(id);
    expect(raw).not.toHaveProperty('outbox');
    expect(raw).not.toHaveProperty('recentEventIds');
    expect(raw).not.toHaveProperty('subscriptionId');
    expect(raw?.recentEvents).toBe(eventFingerprint(overdue.eventId) + eventFingerprint(fraud.eventId));
    expect((await h.app.subscriptions.get(id))?.state).toMatchObject({ subscriptionId: id, status: 'suspended' });
  });

  it('a stored subscription is written by its changed fields only, and stores what a replace of its state would', async () => {
    const monitored: Connection = await mongoose.createConnection(h.app.config.MONGODB_URI, { monitorCommands: true }).asPromise();
    try {
      const updates: Record<string, unknown>[] = [];
      monitored.getClient().on('commandStarted', (event) => {
        if (event.commandName !== 'update') return;
        for (const entry of (event.command as { updates: { u: Record<string, unknown> }[] }).updates) updates.push(entry.u);
      });
      const subscriptions = new SubscriptionRepository(monitored, h.app.subscriptions.dialect);
      const commits = commitPath(undefined, { subscriptions, audit: new AuditRepository(monitored) });
      const ctx = { ...h.app.processDeps, subscriptions, commits };
      const id = `sub-${randomUUID()}`;
      /** The raw document equals the whole document of the state it holds: nothing left over, nothing missing. */
      const expectWhole = async () => {
        const stored = await h.app.subscriptions.get(id);
        const whole = subscriptionDocument({ state: stored!.state, expectedVersion: stored!.version - 1, outbox: [] }, stored!.writeToken);
        expect(await rawDocument(id)).toEqual(JSON.parse(JSON.stringify(whole)));
      };
      const steps = [
        invoiceOverdue({ subscriptionId: id }),
        fraudDetected({ subscriptionId: id }),
        // Changes nothing (no such invoice): the write only moves the audit chain's head.
        invoiceSettled({ subscriptionId: id, invoiceId: 'inv-unknown' }),
        fraudCleared({ subscriptionId: id }),
        invoiceSettled({ subscriptionId: id }),
      ];
      for (const [n, command] of steps.entries()) {
        await applyCommands([{ command, deliveryRef: `s${n}` }], ctx);
        await expectWhole();
      }
      // The first write inserts; each later one is an update with operators, never a replacement.
      expect(updates).toHaveLength(steps.length - 1);
      for (const update of updates) expect(Object.keys(update).every((key) => key.startsWith('$'))).toBe(true);
      const headOnly = updates[1] as { $set: Record<string, unknown> };
      // What it sets moves with every event; what the event did not change stays out of it.
      expect(Object.keys(headOnly.$set)).toEqual(expect.arrayContaining(['auditHead', 'version', 'writeToken']));
      for (const unchanged of ['customerId', 'tenantId', 'status', 'holds', 'deletion', 'createdAt'])
        expect(headOnly.$set).not.toHaveProperty(unchanged);
      expect((await h.app.subscriptions.get(id))?.state.status).toBe('active');
    } finally {
      await monitored.close();
    }
  });

  it('a slice writes each subscription it changes once, the audit in one insert, and never clears an outbox', async () => {
    const monitored: Connection = await mongoose.createConnection(h.app.config.MONGODB_URI, { monitorCommands: true }).asPromise();
    try {
      const statements = new Map<string, number>();
      const commands = new Map<string, number>();
      monitored.getClient().on('commandStarted', (event) => {
        const body = event.command as { updates?: unknown[]; documents?: unknown[] };
        commands.set(event.commandName, (commands.get(event.commandName) ?? 0) + 1);
        const count = body.updates?.length ?? body.documents?.length ?? 1;
        statements.set(event.commandName, (statements.get(event.commandName) ?? 0) + count);
      });
      // The worker's own dialect, on a connection that reports every command.
      const subscriptions = new SubscriptionRepository(monitored, h.app.subscriptions.dialect);
      const audit = new AuditRepository(monitored);
      const commits = commitPath(undefined, { subscriptions, audit });
      const ids = Array.from({ length: 8 }, () => `sub-${randomUUID()}`);
      // First slice creates them; the second changes each three times.
      await applyCommands(
        ids.map((id, n) => ({ command: invoiceOverdue({ subscriptionId: id }), deliveryRef: `a${n}` })),
        { ...h.app.processDeps, subscriptions, commits },
      );
      statements.clear();
      commands.clear();
      const slice = ids.flatMap((id, n) => [
        { command: fraudDetected({ subscriptionId: id }), deliveryRef: `b${n}` },
        { command: invoiceSettled({ subscriptionId: id }), deliveryRef: `c${n}` },
        { command: invoiceOverdue({ subscriptionId: id, invoiceId: 'inv-2' }), deliveryRef: `d${n}` },
      ]);
      await applyCommands(slice, { ...h.app.processDeps, subscriptions, commits });
      expect(statements.get('update')).toBe(ids.length);
      expect(commands.get('insert')).toBe(1);
      expect(statements.get('insert')).toBe(slice.length);
      for (const id of ids) expect(await marked(id)).toBe(0);
    } finally {
      await monitored.close();
    }
  });
});
