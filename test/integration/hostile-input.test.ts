import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import fc from 'fast-check';

import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, paymentOverdue, paymentSettled, type Ids } from '../support/events';
import type { Collected } from '../support/worker-harness';
import { testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

const SEED = 1124;
const HOSTILE = 2_000;

const valid = (ids: Ids) => JSON.parse(paymentOverdue(ids, 'inv-1').value) as Record<string, unknown>;
const withField = (base: Record<string, unknown>, field: string, value: unknown) => ({ ...base, [field]: value });

/** One family of bad input each, all for the payments topic; every message must be dead-lettered. */
function hostileMessages(ids: Ids): fc.Arbitrary<{ family: string; key: string | null; value: string }> {
  const base = valid(ids);
  const key = ids.subscriptionId;
  const text = (family: string, value: fc.Arbitrary<string>) => value.map((v) => ({ family, key, value: v }));
  const json = (family: string, value: fc.Arbitrary<unknown>) => value.map((v) => ({ family, key, value: JSON.stringify(v) }));
  const envelopeField = fc.constantFrom('eventId', 'type', 'occurredAt', 'subscriptionId', 'customerId', 'tenantId', 'data');
  // No numbers: a number is right for amountDue and daysOverdue, and the family must be wrong for every field.
  const wrongType = fc.oneof(fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
  return fc.oneof(
    text(
      'invalid-json',
      fc.string().filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
    ),
    text(
      'truncated-json',
      fc.integer({ min: 1, max: 80 }).map((n) => JSON.stringify(base).slice(0, n)),
    ),
    json('not-an-object', fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.constant(null))),
    json(
      'missing-field',
      envelopeField.map((field) => ({ ...base, [field]: undefined })),
    ),
    json(
      'wrong-type',
      fc.tuple(envelopeField, wrongType).map(([field, value]) => withField(base, field, value)),
    ),
    json(
      'wrong-data-type',
      fc
        .tuple(fc.constantFrom('invoiceId', 'amountDue', 'currency', 'daysOverdue'), wrongType)
        .map(([field, value]) => ({ ...base, data: withField(base.data as Record<string, unknown>, field, value) })),
    ),
    json(
      'operator-in-id',
      fc
        .constantFrom({ $gt: '' }, { $where: 'sleep(100)' }, { $ne: null })
        .chain((op) => fc.constantFrom('subscriptionId', 'tenantId', 'customerId', 'eventId').map((field) => withField(base, field, op))),
    ),
    json(
      'operator-key-in-data',
      fc.constantFrom('$where', '$set', '$gt').map((op) => ({ ...base, data: { ...(base.data as object), [op]: 1 } })),
    ),
    json(
      'dotted-key',
      fc.constantFrom('a.b', 'data.status', '.x').map((k) => ({ ...base, data: { ...(base.data as object), [k]: 'x' } })),
    ),
    json(
      'dotted-id',
      fc.constantFrom('.lead', 'a/b', 'a:b', 'x$y', ' sp').map((id) => withField(base, 'subscriptionId', id)),
    ),
    json(
      'control-characters',
      fc
        .constantFrom('\u0000', '\u0007', '\u001b[2J', '\r\n')
        .map((c) => ({ ...base, data: { ...(base.data as object), invoiceId: `inv${c}1` } })),
    ),
    json(
      'absurd-date',
      fc
        .constantFrom(
          '9999-12-31T23:59:59Z',
          '0001-01-01T00:00:00Z',
          '2026-13-45T00:00:00Z',
          '2026-02-30T10:00:00Z',
          'yesterday',
          '1970-01-01T00:00:00Z',
        )
        .map((d) => withField(base, 'occurredAt', d)),
    ),
    json(
      'unknown-type',
      fc
        .string({ minLength: 1, maxLength: 40 })
        .filter((t) => t !== 'payment.overdue' && t !== 'payment.settled')
        .map((t) => withField(base, 'type', t)),
    ),
    json('missing-key', fc.constant(base)).map((m) => ({ ...m, key: null })),
  );
}

describe('hostile input on the message path', () => {
  let h: Harness;

  beforeAll(async () => {
    // The inbound topic takes values over 1 MB, so oversized messages reach the worker rather than the producer's error.
    const payments = uniqueName('payments');
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: payments, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '4194304' }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    h = await startWorker({ TOPIC_BILLING_PAYMENTS: payments, DELETION_DELAY: 'PT1H' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it(`dead-letters ${HOSTILE} generated bad messages with a reason, writes nothing for them, and keeps good traffic flowing`, async () => {
    const hostileIds = newIds('hostile');
    const hostile = fc.sample(hostileMessages(hostileIds), { numRuns: HOSTILE, seed: SEED });
    // A few values over 1 MB.
    const huge = Array.from({ length: 5 }, () => ({
      family: 'over-1mb',
      key: hostileIds.subscriptionId,
      value: JSON.stringify({ ...valid(hostileIds), data: { invoiceId: 'x'.repeat(1_200_000) } }),
    }));
    const bad = [...hostile, ...huge];
    const good = Array.from({ length: 100 }, () => newIds('good'));

    // Interleave: good events are queued behind bad ones on the same partitions.
    const messages: { key: string | null; value: string }[] = [];
    for (const [n, letter] of bad.entries()) {
      messages.push({ key: letter.key, value: letter.value });
      const ids = good[(n / 20) % good.length];
      if (n % 20 === 0 && ids !== undefined) messages.push(paymentOverdue(ids, 'inv-1'), paymentSettled(ids, 'inv-1'));
    }
    // Oversized values one per request: a partition batch holds at most the topic's max.message.bytes.
    const small = messages.filter((message) => message.value.length < 100_000);
    for (let start = 0; start < small.length; start += 200) await h.produce(h.topics.payments, small.slice(start, start + 200));
    for (const message of messages.filter((m) => m.value.length >= 100_000)) await h.produce(h.topics.payments, [message]);

    await eventually(() => expect(h.deadLetters.length).toBe(bad.length), 180_000);
    const codes = new Map<string, number>();
    for (const letter of h.deadLetters) {
      const code = letter.headers['dlq.error.code'] ?? 'none';
      codes.set(code, (codes.get(code) ?? 0) + 1);
      expect(letter.headers['dlq.error.reason']?.length).toBeGreaterThan(0);
    }
    expect(codes.has('none')).toBe(false);

    const goodIds = good.map((ids) => ids.subscriptionId);
    await eventually(async () => {
      const stored = await h.app.subscriptions.load(goodIds);
      const owing = await h.app.commits.owing(goodIds);
      expect([...stored.values()].filter((s) => s.state.status === 'active' && !owing.has(s.state.subscriptionId))).toHaveLength(
        good.length,
      );
    }, 60_000);
    // Nothing of the bad input was written: the only subscriptions are the good ones.
    expect(await h.app.connection.collection('subscriptions').countDocuments({})).toBe(good.length);
    expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);

    const families = new Map<string, number>();
    for (const letter of bad) families.set(letter.family, (families.get(letter.family) ?? 0) + 1);
    const out = path.resolve(__dirname, '..', '..', 'test-output');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
      path.join(out, 'hostile-input.json'),
      `${JSON.stringify({ seed: SEED, fuzzed: bad.length, goodEvents: good.length * 2, families: Object.fromEntries(families), codes: Object.fromEntries(codes) }, null, 2)}\n`,
    );
  }, 300_000);

  const lettersFor = (key: string): Collected[] => h.deadLetters.filter((letter) => letter.key === key);

  it('dead-letters values and keys that are not UTF-8 as INVALID_ENCODING: ev-\\xff and ev-\\xfe are not one id', async () => {
    const ids = newIds('utf8');
    // Two overdue invoices whose ids differ only in an invalid byte, then a settlement of the second: decoded lossily,
    // the second overdue was taken for a duplicate and the settlement lifted the first one's hold.
    const withByte = (text: string, byte: number) => {
      const [before, after] = text.split('@@');
      return Buffer.concat([Buffer.from(before ?? ''), Buffer.from([byte]), Buffer.from(after ?? '')]);
    };
    const values = [
      withByte(paymentOverdue(ids, 'inv-@@', { eventId: 'ev-a' }).value, 0xff),
      withByte(paymentOverdue(ids, 'inv-@@', { eventId: 'ev-b' }).value, 0xfe),
      withByte(paymentSettled(ids, 'inv-@@').value, 0xfe),
      withByte(paymentOverdue(ids, 'inv-1', { eventId: 'ev-@@' }).value, 0xc3),
    ];
    await h.produce(
      h.topics.payments,
      values.map((value) => ({ key: ids.subscriptionId, value })),
    );
    // And a valid event whose key is not UTF-8.
    const kafka = testKafka();
    const producer = kafka.producer();
    await producer.connect();
    const badKey = withByte(`${ids.subscriptionId}@@`, 0xff);
    await producer.send({ topic: h.topics.payments, messages: [{ key: badKey, value: paymentOverdue(ids, 'inv-ok').value }] });
    await producer.disconnect();

    await eventually(
      () =>
        expect(
          h.deadLetters.filter(
            (letter) => letter.headers['dlq.source.topic'] === h.topics.payments && letter.value?.includes(ids.customerId),
          ).length,
        ).toBe(5),
      60_000,
    );
    const letters = h.deadLetters.filter((letter) => letter.value?.includes(ids.customerId));
    expect(letters.map((letter) => letter.headers['dlq.error.code'])).toEqual(Array.from({ length: 5 }, () => 'INVALID_ENCODING'));
    expect(letters.filter((letter) => /key is not valid UTF-8/.test(letter.headers['dlq.error.reason'] ?? ''))).toHaveLength(1);
    expect(letters.filter((letter) => /value is not valid UTF-8/.test(letter.headers['dlq.error.reason'] ?? ''))).toHaveLength(4);
    // Nothing written: no subscription, no audit record.
    expect(await h.app.subscriptions.get(ids.subscriptionId)).toBeNull();
    expect(await h.app.connection.collection('audit_records').countDocuments({ subscriptionId: ids.subscriptionId })).toBe(0);
  }, 120_000);

  it('dead-letters lone surrogates sent as JSON escapes and invisible characters, naming the field: inv-\\ud800, inv-\\ud801 and inv-\\ufffd are not one invoice', async () => {
    const ids = newIds('surrogate');
    // Valid UTF-8 bytes all (JSON.stringify writes a lone surrogate as the escape "\ud800"); stored, each lone
    // surrogate became U+FFFD: the two overdue notices were one invoice, the two event ids one event, and the
    // settlement of inv-\ufffd lifted both holds.
    const hostile = [
      paymentOverdue(ids, 'inv-\ud800'),
      paymentOverdue(ids, 'inv-\ud801'),
      paymentOverdue(ids, 'inv-a', { eventId: 'ev-\ud800' }),
      paymentOverdue(ids, 'inv-b', { eventId: 'ev-\ud801' }),
      paymentOverdue(ids, 'INV-1\u200b'),
      paymentOverdue(ids, 'INV-1\ufeff'),
      paymentOverdue(ids, 'INV-\u00ad1'),
      paymentOverdue(ids, 'INV-1\u2060'),
      paymentOverdue(ids, 'INV-1\u{e0041}'),
    ];
    const first = paymentOverdue(ids, 'INV-1');
    const settledReplacement = paymentSettled(ids, 'inv-\ufffd');
    await h.produce(h.topics.payments, [first, ...hostile, settledReplacement]);

    const letters = await eventually(() => {
      const found = lettersFor(ids.subscriptionId);
      expect(found).toHaveLength(hostile.length);
      return found;
    }, 60_000);
    expect(letters.map((letter) => letter.headers['dlq.error.code'])).toEqual(hostile.map(() => 'SCHEMA_VIOLATION'));
    expect(letters.map((letter) => letter.headers['dlq.error.reason'])).toEqual([
      'data.invoiceId: must be well-formed Unicode (no lone surrogate such as \\ud800)',
      'data.invoiceId: must be well-formed Unicode (no lone surrogate such as \\ud800)',
      'eventId: must be well-formed Unicode (no lone surrogate such as \\ud800)',
      'eventId: must be well-formed Unicode (no lone surrogate such as \\ud800)',
      ...hostile.slice(4).map(() => 'data.invoiceId: must not contain control, invisible (format) or bidirectional characters'),
    ]);
    await eventually(async () => expect(await h.app.audit.byEventId(settledReplacement.eventId)).toHaveLength(1), 60_000);
    const stored = await h.app.subscriptions.get(ids.subscriptionId);
    // Only INV-1 is held: the settlement of inv-\ufffd (an invoice never overdue) changed nothing.
    expect(stored?.state.status).toBe('suspended');
    expect(stored?.state.holds.map((hold) => hold.refs)).toEqual([['INV-1']]);
    expect(await h.app.connection.collection('audit_records').countDocuments({ subscriptionId: ids.subscriptionId })).toBe(2);
  }, 120_000);

  it('lifts the hold when the real settlement follows an overdue notice dated 55 minutes ahead (a fast producer clock)', async () => {
    const ids = newIds('fast-clock');
    const ahead = paymentOverdue(ids, 'inv-1', { occurredAt: new Date(Date.now() + 55 * 60_000).toISOString() });
    await h.produce(h.topics.payments, [ahead]);
    await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('suspended'));
    const settled = paymentSettled(ids, 'inv-1');
    await h.produce(h.topics.payments, [settled]);
    const [record] = await eventually(async () => {
      const records = await h.app.audit.byEventId(settled.eventId);
      expect(records).toHaveLength(1);
      return records;
    }, 60_000);
    expect(record).toMatchObject({ outcome: 'applied', statusBefore: 'suspended', statusAfter: 'active' });
    const stored = await h.app.subscriptions.get(ids.subscriptionId);
    expect(stored?.state).toMatchObject({ status: 'active', holds: [], deletion: null });
    // Its deletion timer is gone too.
    await eventually(async () => expect(await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1))).toBeUndefined());
  });

  it('refuses a bearer token with whitespace around it (401), and answers wrong tokens 429 with Retry-After past a burst', async () => {
    const url = `${h.baseUrl}/v1/deletions`;
    const status = async (authorization: string) => (await fetch(url, { headers: { authorization } })).status;
    // fetch strips a header's own outer spaces and tabs; a second space and a no-break space reach the worker.
    expect(await status(`Bearer  ${ADMIN_TOKEN}`)).toBe(401);
    expect(await status(`Bearer ${ADMIN_TOKEN}\u00a0`)).toBe(401);
    expect(await status(`Bearer ${ADMIN_TOKEN}`)).toBe(200);
    expect((await fetch(`${h.baseUrl}/admin`, { headers: { authorization: `Bearer  ${ADMIN_TOKEN}` } })).status).toBe(401);

    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, n) => {
        const response = await fetch(url, { headers: { authorization: `Bearer wrong-${n}` } });
        return { status: response.status, retryAfter: response.headers.get('retry-after') };
      }),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    // The two malformed headers above count as failures too: at most the burst (20) is answered 403.
    expect(answers.filter((answer) => answer.status === 403).length).toBeLessThanOrEqual(20);
    expect(limited.length).toBeGreaterThanOrEqual(180);
    expect(limited.every((answer) => Number(answer.retryAfter) >= 1)).toBe(true);
    // Requests that authenticate are not limited.
    expect(await status(`Bearer ${ADMIN_TOKEN}`)).toBe(200);
    // One budget per address over every route that takes a token: the ops console's too.
    const admin = async (authorization: string) => (await fetch(`${h.baseUrl}/admin`, { headers: { authorization } })).status;
    expect(await admin('Bearer wrong')).toBe(429);
    expect(await admin(`Bearer ${ADMIN_TOKEN}`)).toBe(200);
  });

  it('parks a 4,194,200-byte bad value in a letter that fits (cut, with its size and SHA-256) and applies the valid events on every partition', async () => {
    const badIds = newIds('huge');
    const huge = Buffer.alloc(4_194_200, 'x');
    await h.produce(h.topics.payments, [{ key: badIds.subscriptionId, value: huge }]);
    // Six valid events behind it, on the three partitions (keys spread by the default partitioner).
    const good = Array.from({ length: 6 }, () => newIds('behind-huge'));
    await h.produce(
      h.topics.payments,
      good.map((ids) => paymentOverdue(ids, 'inv-1')),
    );
    await eventually(async () => {
      const stored = await h.app.subscriptions.load(good.map((ids) => ids.subscriptionId));
      expect([...stored.values()].filter((sub) => sub.state.status === 'suspended')).toHaveLength(good.length);
    }, 90_000);
    const [letter] = await eventually(() => {
      const found = lettersFor(badIds.subscriptionId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(letter?.headers).toMatchObject({
      'dlq.error.code': 'MESSAGE_TOO_LARGE',
      'dlq.truncated': 'value',
      'dlq.value.original-bytes': '4194200',
      'dlq.value.sha256': createHash('sha256').update(huge).digest('hex'),
      'dlq.source.topic': h.topics.payments,
    });
    expect(letter?.value?.length).toBeLessThan(huge.length);
    expect(huge.toString().startsWith(letter?.value ?? 'none')).toBe(true);
    expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);
  }, 150_000);
});
