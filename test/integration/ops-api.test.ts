import { newSubscription, type Subscription } from '../../src/domain';
import type { subscriptionView } from '../../src/http/subscription-view';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { apiClient, type Call, type Problem } from '../support/api-client';
import { newIds, paymentOverdue, resumeRequested, suspendRequested, type Ids } from '../support/events';
import { ACCESS_TOKEN, ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

type SubscriptionView = ReturnType<typeof subscriptionView>;
interface CommandAnswer extends Partial<Problem> {
  readonly outcome: string;
  readonly reason: string;
  readonly subscription: SubscriptionView;
}
interface Timeline {
  readonly subscription: SubscriptionView;
  readonly audit: {
    eventId: string;
    type: string;
    occurredAt: string;
    recordedAt: string;
    actor: { kind: string; id: string };
    outcome: string;
    reason: string;
    note?: string;
  }[];
  readonly scheduled: { kind: string; jobId: string; dueAt: string; offset?: string; jobState: string }[];
}
interface DeletionPage {
  readonly items: { subscriptionId: string; tenantId: string; customerId: string; status: string; dueAt: string; legalHold: boolean }[];
  readonly next: string | null;
}

const DAY_MS = 24 * 3600 * 1000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const operator = { reason: 'ticket OPS-17', actor: 'alice@ops.example' };

/** Every operator route, for the auth checks. */
const ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/v1/subscriptions/sub-x/timeline'],
  ['GET', '/v1/deletions'],
  ['POST', '/v1/subscriptions/sub-x/legal-hold'],
  ['DELETE', '/v1/subscriptions/sub-x/legal-hold'],
  ['POST', '/v1/subscriptions/sub-x/suspend'],
  ['POST', '/v1/subscriptions/sub-x/resume'],
  ['POST', '/v1/subscriptions/sub-x/cancel'],
  ['GET', '/v1/dlq'],
  ['GET', '/v1/dlq/0-0'],
  ['POST', '/v1/dlq/replay'],
];

/** The operator API on the real stack: timeline, upcoming deletions, legal hold and manual commands. */
describe('operator API', () => {
  let h: Harness;
  let call: Call;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'P30D', DELETION_REMINDERS: 'P7D,P1D', LEGAL_HOLD_RELEASE_GRACE: 'P7D' });
    call = apiClient(h.baseUrl, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await h.stop();
  });

  const state = async (ids: Ids) => (await h.app.subscriptions.get(ids.subscriptionId))?.state ?? null;
  /** Waits for the status and for the effects (audit, timers) to be carried out: they follow the state's write. */
  const settled = (ids: Ids, status: string) =>
    eventually(async () => {
      const stored = await h.app.subscriptions.get(ids.subscriptionId);
      expect([stored?.state.status, (await h.app.commits.owing([ids.subscriptionId])).size]).toEqual([status, 0]);
    });
  const suspended = async (ids: Ids) => {
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await settled(ids, 'suspended');
  };
  const active = async (ids: Ids) => {
    // An event that changes nothing creates no subscription: a customer's suspension and resumption make an active one.
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await settled(ids, 'suspended');
    await h.produce(h.topics.customer, [resumeRequested(ids)]);
    await settled(ids, 'active');
  };
  /** Stores a subscription as given: for states events cannot reach quickly (deleted, due in 90 days). */
  const stored = async (ids: Ids, change: (base: Subscription) => Subscription) => {
    const conflicts = await h.app.subscriptions.write(
      [{ state: change(newSubscription(ids, Date.now())), expectedVersion: 0, outbox: [] }],
      'test',
    );
    expect(conflicts.size).toBe(0);
  };
  const timeline = (ids: Ids, query = '') => call<Timeline>('GET', `/v1/subscriptions/${ids.subscriptionId}/timeline${query}`);

  describe('auth', () => {
    it.each(ROUTES)('%s %s: 401 without a token, 403 with a wrong one or the access token', async (method, path) => {
      const none = await call(method, path, { token: null });
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('unauthorized');
      expect((await call(method, path, { token: 'not-the-admin-token-at-all' })).status).toBe(403);
      expect((await call(method, path, { token: ACCESS_TOKEN })).status).toBe(403);
    });

    it('every operator route is off (404) when ADMIN_TOKEN is not set, whatever token is sent', async () => {
      const off = await startWorker({ ADMIN_TOKEN: '' });
      try {
        expect(off.app.config.ADMIN_TOKEN).toBeUndefined();
        const offCall = apiClient(off.baseUrl, ACCESS_TOKEN);
        for (const [method, path] of ROUTES) {
          const answer = await offCall(method, path, method === 'GET' ? {} : { body: operator });
          expect({ route: `${method} ${path}`, status: answer.status, error: answer.body.error }).toEqual({
            route: `${method} ${path}`,
            status: 404,
            error: 'disabled',
          });
          expect(answer.body.message).toMatch(/ADMIN_TOKEN/);
        }
      } finally {
        await off.stop();
      }
    });
  });

  describe('GET /v1/subscriptions/{id}/timeline', () => {
    it('shows the subscription, its audit trail with ISO dates and its timers with their BullMQ state', async () => {
      const ids = newIds('timeline');
      await suspended(ids);
      const { status, body } = await timeline(ids);
      expect(status).toBe(200);
      expect(body.subscription).toMatchObject({ subscriptionId: ids.subscriptionId, status: 'suspended', legalHold: null });
      expect(body.audit).toHaveLength(1);
      expect(body.audit[0]).toMatchObject({ type: 'suspend-requested', outcome: 'applied', actor: { kind: 'system' } });
      expect(body.audit[0]?.occurredAt).toMatch(ISO);
      expect(body.audit[0]?.recordedAt).toMatch(ISO);
      const dueAt = body.subscription.deletion?.dueAt;
      expect(body.scheduled).toEqual([
        { kind: 'deletion', jobId: deletionJobId(ids.subscriptionId, 1), dueAt, jobState: 'delayed' },
        {
          kind: 'reminder',
          jobId: deletionJobId(ids.subscriptionId, 1),
          dueAt: expect.stringMatching(ISO),
          offset: 'P7D',
          jobState: 'delayed',
        },
        {
          kind: 'reminder',
          jobId: deletionJobId(ids.subscriptionId, 1),
          dueAt: expect.stringMatching(ISO),
          offset: 'P1D',
          jobState: 'delayed',
        },
      ]);
    });

    it('limit caps the audit trail; an unknown id is 404; a bad id or limit is 400 naming it', async () => {
      const ids = newIds('limit');
      await suspended(ids);
      await call('POST', `/v1/subscriptions/${ids.subscriptionId}/legal-hold`, { body: operator });
      expect((await timeline(ids)).body.audit).toHaveLength(2);
      expect((await timeline(ids, '?limit=1')).body.audit).toHaveLength(1);

      const unknown = await call('GET', '/v1/subscriptions/never-seen/timeline');
      expect(unknown).toEqual({ status: 404, body: { error: 'not-found', message: 'no subscription never-seen' } });
      for (const query of ['?limit=0', '?limit=1001', '?limit=abc', '?limit=1.5']) {
        const bad = await call('GET', `/v1/subscriptions/${ids.subscriptionId}/timeline${query}`);
        expect({ query, status: bad.status }).toEqual({ query, status: 400 });
        expect(bad.body.message).toBe('query.limit: must be a whole number from 1 to 1000');
      }
      const badId = await call('GET', '/v1/subscriptions/-bad%20id/timeline');
      expect(badId.status).toBe(400);
      expect(badId.body.message).toMatch(/^path\.id: must match/);
    });
  });

  describe('GET /v1/deletions', () => {
    it('pages through upcoming deletions soonest first, without overlap or gaps, with the legal-hold flag', async () => {
      const mine = Array.from({ length: 7 }, () => newIds('page'));
      await h.produce(
        h.topics.customer,
        mine.map((ids) => suspendRequested(ids)),
      );
      for (const ids of mine) await settled(ids, 'suspended');
      const held = mine[3]!;
      expect((await call('POST', `/v1/subscriptions/${held.subscriptionId}/legal-hold`, { body: operator })).status).toBe(200);

      const dueBefore = new Date(Date.now() + 45 * DAY_MS).toISOString();
      const pages: DeletionPage[] = [];
      let after: string | null = null;
      do {
        const query: string = `?dueBefore=${encodeURIComponent(dueBefore)}&limit=3${after === null ? '' : `&after=${after}`}`;
        const { status, body } = await call<DeletionPage>('GET', `/v1/deletions${query}`);
        expect(status).toBe(200);
        pages.push(body);
        after = body.next;
      } while (after !== null && pages.length < 100);

      const items = pages.flatMap((page) => page.items);
      const expected = await h.app.connection
        .collection('subscriptions')
        .countDocuments({ 'deletion.dueAt': { $lt: Date.parse(dueBefore) } });
      expect(items).toHaveLength(expected);
      expect(new Set(items.map((item) => item.subscriptionId)).size).toBe(items.length);
      expect(pages.slice(0, -1).every((page) => page.items.length === 3)).toBe(true);
      const dues = items.map((item) => Date.parse(item.dueAt));
      expect(dues).toEqual([...dues].sort((a, b) => a - b));
      for (const ids of mine) {
        expect(items.find((item) => item.subscriptionId === ids.subscriptionId)).toEqual({
          ...ids,
          status: 'suspended',
          dueAt: expect.stringMatching(ISO),
          legalHold: ids === held,
          inProgress: false,
        });
      }
    });

    it('dueBefore bounds the list and defaults to 60 days from now', async () => {
      const soon = newIds('soon');
      await suspended(soon);
      const far = newIds('far');
      const farDue = Date.now() + 90 * DAY_MS;
      await stored(far, (base) => ({
        ...base,
        status: 'suspended',
        timerGeneration: 1,
        deletion: { generation: 1, dueAt: farDue, scheduledAt: Date.now(), reminders: [], claimedAt: null, progress: [] },
      }));
      const listed = async (query: string) => {
        const { status, body } = await call<DeletionPage>('GET', `/v1/deletions?limit=500${query}`);
        expect(status).toBe(200);
        return body.items.map((item) => item.subscriptionId);
      };
      const byDefault = await listed('');
      expect(byDefault).toContain(soon.subscriptionId);
      expect(byDefault).not.toContain(far.subscriptionId);
      expect(await listed(`&dueBefore=${new Date(farDue + DAY_MS).toISOString()}`)).toContain(far.subscriptionId);
      expect(await listed(`&dueBefore=${encodeURIComponent(new Date().toISOString())}`)).not.toContain(soon.subscriptionId);
    });

    it('refuses bad input with 400 and says which parameter', async () => {
      const cases: [string, RegExp][] = [
        ['?limit=0', /^query\.limit: must be a whole number from 1 to 500$/],
        ['?limit=501', /^query\.limit: /],
        ['?dueBefore=tomorrow', /^query\.dueBefore: must be an RFC 3339 date-time/],
        ['?dueBefore=2026-03-01', /^query\.dueBefore: /],
        ['?after=not-a-cursor', /^query\.after: is not a cursor this API gave$/],
        ['?due_before=2026-03-01T00:00:00Z', /^query: .*due_before/],
      ];
      for (const [query, message] of cases) {
        const { status, body } = await call('GET', `/v1/deletions${query}`);
        expect({ query, status, error: body.error }).toEqual({ query, status: 400, error: 'bad-request' });
        expect(body.message).toMatch(message);
      }
    });
  });

  describe('legal hold', () => {
    it('set via the API shows in the subscription and the timeline; release reschedules deletion; each no-op is a 409', async () => {
      const ids = newIds('legal');
      await suspended(ids);
      const path = `/v1/subscriptions/${ids.subscriptionId}/legal-hold`;
      const firstDue = (await state(ids))?.deletion?.dueAt;

      const set = await call<CommandAnswer>('POST', path, { body: { reason: 'litigation L-7', actor: 'alice@ops.example' } });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ outcome: 'applied', reason: 'legal-hold-set' });
      expect(set.body.subscription.legalHold).toEqual({
        reason: 'litigation L-7',
        actor: 'alice@ops.example',
        since: expect.stringMatching(ISO),
      });
      const view = await call<SubscriptionView>('GET', `/v1/subscriptions/${ids.subscriptionId}`);
      expect(view.body.legalHold).toMatchObject({ reason: 'litigation L-7', actor: 'alice@ops.example' });
      expect((await timeline(ids)).body.audit.at(-1)).toMatchObject({
        type: 'legal-hold-set',
        outcome: 'applied',
        actor: { kind: 'operator', id: 'alice@ops.example' },
        note: 'litigation L-7',
      });

      const again = await call<CommandAnswer>('POST', path, { body: { reason: 'another case', actor: 'bob@ops.example' } });
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('conflict');
      expect(again.body.message).toMatch(/already under legal hold \(placed by alice@ops\.example/);
      expect(again.body.subscription.legalHold?.actor).toBe('alice@ops.example');

      const release = await call<CommandAnswer>('DELETE', path, { body: { reason: 'case closed', actor: 'carol@ops.example' } });
      expect(release.status).toBe(200);
      expect(release.body.reason).toBe('legal-hold-released; deletion-rescheduled');
      expect(release.body.subscription.legalHold).toBeNull();
      const after = await timeline(ids);
      expect(after.body.subscription.legalHold).toBeNull();
      expect(after.body.audit.at(-1)).toMatchObject({ type: 'legal-hold-released', actor: { kind: 'operator', id: 'carol@ops.example' } });
      // A new timer generation, due at the later of the original date and release + grace (7 days < 30).
      expect(after.body.scheduled[0]).toEqual({
        kind: 'deletion',
        jobId: deletionJobId(ids.subscriptionId, 2),
        dueAt: new Date(firstDue!).toISOString(),
        jobState: 'delayed',
      });
      expect(await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1))).toBeUndefined();

      const none = await call<CommandAnswer>('DELETE', path, { body: { reason: 'again', actor: 'carol@ops.example' } });
      expect(none.status).toBe(409);
      expect(none.body.message).toBe(`subscription ${ids.subscriptionId} has no legal hold to release`);
      expect(none.body.subscription.deletion?.dueAt).toBe(new Date(firstDue!).toISOString());
    });

    it('an Idempotency-Key makes a retried request a duplicate; the same key for another action is another request', async () => {
      const ids = newIds('idem');
      await suspended(ids);
      const path = `/v1/subscriptions/${ids.subscriptionId}/legal-hold`;
      const headers = { 'idempotency-key': 'req-42' };
      const first = await call<CommandAnswer>('POST', path, { body: operator, headers });
      const retry = await call<CommandAnswer>('POST', path, { body: operator, headers });
      expect([first.status, first.body.outcome]).toEqual([200, 'applied']);
      expect([retry.status, retry.body.outcome]).toEqual([200, 'duplicate']);
      const release = await call<CommandAnswer>('DELETE', path, { body: operator, headers });
      expect([release.status, release.body.outcome, release.body.subscription.legalHold]).toEqual([200, 'applied', null]);
      const audit = (await timeline(ids)).body.audit.filter((record) => record.actor.kind === 'operator');
      expect(audit.map((record) => [record.type, record.outcome])).toEqual([
        ['legal-hold-set', 'applied'],
        ['legal-hold-set', 'duplicate'],
        ['legal-hold-released', 'applied'],
      ]);
    });
  });

  describe('manual suspend, resume and cancel', () => {
    it('are applied through the state machine and audited with the operator as actor and the reason as note', async () => {
      const ids = newIds('manual');
      await active(ids);
      const run = (action: string, reason: string) =>
        call<CommandAnswer>('POST', `/v1/subscriptions/${ids.subscriptionId}/${action}`, { body: { reason, actor: 'dave@ops.example' } });

      const suspend = await run('suspend', 'customer phoned');
      expect(suspend.status).toBe(200);
      expect(suspend.body).toMatchObject({
        outcome: 'applied',
        subscription: { status: 'suspended', holds: [{ reason: 'customer_request' }] },
      });
      const resume = await run('resume', 'customer paid by phone');
      expect(resume.body).toMatchObject({ outcome: 'applied', subscription: { status: 'active', holds: [], deletion: null } });
      const cancel = await run('cancel', 'contract ended');
      expect(cancel.body).toMatchObject({ outcome: 'applied', subscription: { status: 'cancelled' } });
      expect(cancel.body.subscription.deletion?.dueAt).toMatch(ISO);

      const { audit } = (await timeline(ids)).body;
      expect(audit.map((record) => [record.type, record.actor.kind, record.actor.id, record.note ?? null])).toEqual([
        ['suspend-requested', 'system', expect.any(String), null],
        ['resume-requested', 'system', expect.any(String), null],
        ['suspend-requested', 'operator', 'dave@ops.example', 'customer phoned'],
        ['resume-requested', 'operator', 'dave@ops.example', 'customer paid by phone'],
        ['cancel-requested', 'operator', 'dave@ops.example', 'contract ended'],
      ]);
      await eventually(() =>
        expect(h.lifecycle.filter((m) => m.key === ids.subscriptionId).map((m) => m.json().type)).toEqual(
          expect.arrayContaining(['subscription.suspended', 'subscription.reactivated', 'subscription.cancelled']),
        ),
      );
    });

    it('resume lifts only the customer-request hold: a nonpayment suspension stays, and the answer says no-change', async () => {
      const ids = newIds('unpaid');
      await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-9')]);
      await settled(ids, 'suspended');
      const resume = await call<CommandAnswer>('POST', `/v1/subscriptions/${ids.subscriptionId}/resume`, { body: operator });
      expect(resume.status).toBe(200);
      expect(resume.body).toMatchObject({ outcome: 'applied', reason: 'no-change', subscription: { status: 'suspended' } });
    });

    it('answers 404 for an unknown subscription and 200 "ignored" for a deleted one', async () => {
      const unknown = await call('POST', '/v1/subscriptions/never-seen/suspend', { body: operator });
      expect(unknown).toEqual({ status: 404, body: { error: 'not-found', message: 'no subscription never-seen' } });
      expect(await h.app.subscriptions.get('never-seen')).toBeNull();

      const ids = newIds('deleted');
      await stored(ids, (base) => ({ ...base, status: 'deleted', deletedAt: Date.now() }));
      for (const action of ['suspend', 'resume', 'cancel']) {
        const answer = await call<CommandAnswer>('POST', `/v1/subscriptions/${ids.subscriptionId}/${action}`, { body: operator });
        expect([action, answer.status, answer.body.outcome, answer.body.reason, answer.body.subscription.status]).toEqual([
          action,
          200,
          'ignored',
          'subscription-deleted',
          'deleted',
        ]);
      }
      const hold = await call<CommandAnswer>('POST', `/v1/subscriptions/${ids.subscriptionId}/legal-hold`, { body: operator });
      expect([hold.status, hold.body.outcome]).toEqual([200, 'ignored']);
    });

    it('refuses bad input with 400 naming every problem, and changes nothing', async () => {
      const ids = newIds('badinput');
      await suspended(ids);
      const path = `/v1/subscriptions/${ids.subscriptionId}/legal-hold`;
      const cases: [string, { body?: unknown; raw?: string; headers?: Record<string, string> }, RegExp][] = [
        ['no body', {}, /^body\.reason: is required; body\.actor: is required$/],
        ['empty reason', { body: { ...operator, reason: '' } }, /^body\.reason: must not be empty/],
        ['blank actor', { body: { ...operator, actor: '   ' } }, /^body\.actor: must not be blank$/],
        ['long reason', { body: { ...operator, reason: 'x'.repeat(501) } }, /^body\.reason: must be at most 500 characters$/],
        [
          'control character',
          { body: { ...operator, actor: 'eve\nadmin' } },
          /^body\.actor: must not contain control, invisible \(format\) or bidirectional characters$/,
        ],
        [
          'bidi override',
          { body: { ...operator, actor: 'eve\u202enimda' } },
          /^body\.actor: must not contain control, invisible \(format\) or bidirectional characters$/,
        ],
        [
          'zero-width space',
          { body: { ...operator, actor: 'eve\u200b' } },
          /^body\.actor: must not contain control, invisible \(format\) or bidirectional characters$/,
        ],
        [
          'lone surrogate',
          { body: { ...operator, reason: 'held \ud800' } },
          /^body\.reason: must not contain control, invisible \(format\) or bidirectional characters$/,
        ],
        ['number', { body: { ...operator, reason: 7 } }, /^body\.reason: must be a string$/],
        ['unknown field', { body: { ...operator, reasn: 'typo' } }, /^body: .*reasn/],
        ['not an object', { body: ['x'] }, /^body: must be a JSON object/],
        ['malformed JSON', { raw: '{"reason": ' }, /JSON/],
        ['long Idempotency-Key', { body: operator, headers: { 'idempotency-key': 'k'.repeat(101) } }, /^headers\.idempotency-key: /],
      ];
      for (const [name, options, message] of cases) {
        const { status, body } = await call('POST', path, options);
        expect({ name, status, error: body.error }).toEqual({ name, status: 400, error: 'bad-request' });
        expect(body.message).toMatch(message);
      }
      const badId = await call('POST', '/v1/subscriptions/no%20spaces/suspend', { body: operator });
      expect(badId.status).toBe(400);
      expect(badId.body.message).toMatch(/^path\.id: /);
      expect((await state(ids))?.legalHold).toBeNull();
      expect((await timeline(ids)).body.audit.filter((record) => record.actor.kind === 'operator')).toEqual([]);
    });
  });
});
