import { randomBytes } from 'node:crypto';

import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ConfigResourceTypes } from 'kafkajs';

import { DLQ_HEADERS } from '../../src/contract/headers';
import { KafkaOffsets } from '../../src/kafka/offsets';
import { startTracing } from '../../src/tracing/tracing';
import { inboundEvent, newIds, paymentOverdue, paymentSettled, type Ids } from '../support/events';
import { sendWithJava, type JavaRecord, type SentRecord } from '../support/java-producer';
import { testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { eventually, startWorker, type Collected, type Harness } from '../support/worker-harness';

/** The harness creates every topic with three partitions (KAFKA_TOPIC_PARTITIONS). */
const PARTITIONS = 3;
/** Not valid UTF-8, with a NUL: a header value only a binary-safe path carries unchanged. */
const BINARY = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0xc3]);

type Headers = JavaRecord['headers'];

interface Overdue {
  readonly ids: Ids;
  readonly eventId: string;
  readonly invoiceId: string;
  readonly record: JavaRecord;
}

/** A payment.overdue event for a new subscription, keyed by it; on `partition`, or where the Java client puts it. */
function overdue(topic: string, prefix: string, options: { partition?: number; headers?: Headers } = {}): Overdue {
  const ids = newIds(prefix);
  const invoiceId = `inv-${ids.subscriptionId}`;
  const event = paymentOverdue(ids, invoiceId);
  const record: JavaRecord = { topic, key: event.key, value: event.value, ...options };
  return { ids, eventId: event.eventId, invoiceId, record };
}

/** `perPartition` overdue events for new subscriptions on each partition, round robin. */
function overdueOnEveryPartition(topic: string, prefix: string, perPartition: number): Overdue[] {
  return Array.from({ length: perPartition * PARTITIONS }, (_, n) => overdue(topic, prefix, { partition: n % PARTITIONS }));
}

/** Each event has exactly one `applied` record in the audit trail (a second application would add another). */
async function expectAppliedOnce(h: Harness, eventIds: readonly string[]): Promise<void> {
  const audit = h.app.connection.collection('audit_records');
  await eventually(async () => {
    const applied = await audit.find({ eventId: { $in: [...eventIds] }, outcome: 'applied' }, { projection: { eventId: 1 } }).toArray();
    const counts = new Map<string, number>(eventIds.map((id) => [id, 0]));
    for (const record of applied) counts.set(String(record.eventId), (counts.get(String(record.eventId)) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(eventIds.map((id) => [id, 1])));
  });
}

/** Each subscription is suspended for exactly its invoice: its overdue event was applied, nothing else touched it. */
async function expectSuspended(h: Harness, events: readonly Overdue[]): Promise<void> {
  await expectAppliedOnce(
    h,
    events.map((event) => event.eventId),
  );
  const stored = await h.app.subscriptions.load(events.map((event) => event.ids.subscriptionId));
  for (const event of events) {
    expect(stored.get(event.ids.subscriptionId)?.state).toMatchObject({
      status: 'suspended',
      holds: [{ reason: 'nonpayment', refs: [event.invoiceId] }],
    });
  }
}

/**
 * No partition stalled: the inbound group and the dead-letter indexer have consumed and committed everything on their
 * topics (lag zero on every partition), and the worker reports ready.
 */
async function expectNoStall(h: Harness): Promise<void> {
  const offsets = new KafkaOffsets(h.app.kafka);
  const group = h.app.config.KAFKA_GROUP_ID;
  try {
    await eventually(async () => {
      const partitions = [
        ...(await offsets.consumerLag(group, [h.topics.payments, h.topics.fraud, h.topics.customer])),
        ...(await offsets.consumerLag(`${group}.dlq-index`, [h.topics.dlq])),
      ];
      expect(partitions.filter((partition) => partition.lag > 0)).toEqual([]);
    }, 60_000);
  } finally {
    await offsets.close();
  }
  const ready = await fetch(`${h.baseUrl}/readyz`);
  expect({ status: ready.status, body: await ready.text() }).toMatchObject({ status: 200 });
}

/** The dead letter of each sent record, in the same order; waits until there is one for every record. */
async function lettersOf(h: Harness, sent: readonly SentRecord[]): Promise<Collected[]> {
  const letterOf = (record: SentRecord) =>
    h.deadLetters.find(
      (letter) =>
        letter.headers[DLQ_HEADERS.topic] === record.topic &&
        letter.headers[DLQ_HEADERS.partition] === String(record.partition) &&
        letter.headers[DLQ_HEADERS.offset] === record.offset,
    );
  return await eventually(() =>
    sent.map((record) => {
      const letter = letterOf(record);
      if (letter === undefined) throw new Error(`no dead letter yet for ${record.topic}/${record.partition}/${record.offset}`);
      return letter;
    }),
  );
}

function expectLetter(letter: Collected | undefined, code: string, reason: RegExp): void {
  expect({ code: letter?.headers[DLQ_HEADERS.code], reason: letter?.headers[DLQ_HEADERS.reason] }).toEqual({
    code,
    reason: expect.stringMatching(reason),
  });
}

describe("events from Apache Kafka's own Java producer (kafka-clients, the stack's version)", () => {
  let h: Harness | undefined;
  const worker = async (env: Record<string, string> = {}, tracing?: Parameters<typeof startWorker>[3]): Promise<Harness> => {
    h = await startWorker({ DELETION_DELAY: 'PT1H', ...env }, undefined, undefined, tracing);
    return h;
  };

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])(
    'applies every event sent %s-compressed exactly once, on every partition',
    async (codec) => {
      const w = await worker();
      const events = overdueOnEveryPartition(w.topics.payments, codec, 4);
      // Not idempotent (that has a case of its own); a linger so each partition's records share one compressed batch.
      const sent = await sendWithJava({
        settings: { 'compression.type': codec, 'enable.idempotence': 'false', acks: '1', 'linger.ms': '50' },
        batches: [{ records: events.map((event) => event.record) }],
      });
      expect(new Set(sent.map((record) => record.partition)).size).toBe(PARTITIONS);

      await expectNoStall(w);
      await expectSuspended(w, events);
      expect(w.deadLetters).toEqual([]);
    },
  );

  it('applies every event of an idempotent producer exactly once, in order per subscription', async () => {
    const w = await worker();
    // Three events per subscription, keyed by it: the Java client's partitioner spreads the subscriptions.
    const subscriptions = Array.from({ length: 12 }, () => newIds('idempotent'));
    const events = subscriptions.flatMap((ids) => [
      paymentOverdue(ids, 'inv-1'),
      paymentOverdue(ids, 'inv-2'),
      paymentSettled(ids, 'inv-1'),
    ]);
    await sendWithJava({
      settings: { 'enable.idempotence': 'true', acks: 'all', 'max.in.flight.requests.per.connection': '5', 'linger.ms': '20' },
      batches: [{ records: events.map((event) => ({ topic: w.topics.payments, key: event.key, value: event.value })) }],
    });

    await expectNoStall(w);
    await expectAppliedOnce(
      w,
      events.map((event) => event.eventId),
    );
    const stored = await w.app.subscriptions.load(subscriptions.map((ids) => ids.subscriptionId));
    for (const ids of subscriptions) {
      expect(stored.get(ids.subscriptionId)?.state).toMatchObject({
        status: 'suspended',
        holds: [{ reason: 'nonpayment', refs: ['inv-2'] }],
      });
    }
    expect(w.deadLetters).toEqual([]);
  });

  it('applies committed transactions and never an aborted one: a canary behind them on every partition shows the aborted records were passed over', async () => {
    const w = await worker();
    const topic = w.topics.payments;
    const committed = overdueOnEveryPartition(topic, 'committed', 2);
    const aborted = overdueOnEveryPartition(topic, 'aborted', 2);
    // The aborted transaction also settles the committed invoices: were it applied, those holds would be lifted.
    const abortedSettlements = committed.map((event) => {
      const settled = paymentSettled(event.ids, event.invoiceId);
      return { eventId: settled.eventId, record: { ...event.record, value: settled.value } };
    });
    const canaries = overdueOnEveryPartition(topic, 'canary', 1);
    // And an aborted transaction last on every partition: no canary behind it, so only the lag shows it passed over.
    const trailing = overdueOnEveryPartition(topic, 'aborted-last', 1);

    const sent = await sendWithJava({
      settings: { 'transactional.id': uniqueName('tx') },
      batches: [
        { transaction: 'commit', records: committed.map((event) => event.record) },
        { transaction: 'abort', records: [...aborted, ...abortedSettlements].map((event) => event.record) },
        { transaction: 'commit', records: canaries.map((event) => event.record) },
        { transaction: 'abort', records: trailing.map((event) => event.record) },
      ],
    });
    // The aborted records are in the log (an abort flushes them first), between the committed ones and the canaries.
    expect(sent).toHaveLength(committed.length + aborted.length + abortedSettlements.length + canaries.length + trailing.length);

    await expectNoStall(w);
    await expectSuspended(w, [...committed, ...canaries]);
    const audit = w.app.connection.collection('audit_records');
    const abortedIds = [...aborted, ...abortedSettlements, ...trailing].map((event) => event.eventId);
    expect(await audit.countDocuments({ eventId: { $in: abortedIds } })).toBe(0);
    const abortedSubscriptions = await w.app.subscriptions.load([...aborted, ...trailing].map((event) => event.ids.subscriptionId));
    expect([...abortedSubscriptions.keys()]).toEqual([]);
    expect(w.deadLetters).toEqual([]);
  });

  it('reads a topic created with compression.type=zstd, which recompresses what an uncompressed producer sends', async () => {
    const payments = uniqueName('payments-zstd');
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: payments, numPartitions: PARTITIONS, configEntries: [{ name: 'compression.type', value: 'zstd' }] }],
        waitForLeaders: true,
      });
      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: payments, configNames: ['compression.type'] }],
        includeSynonyms: false,
      });
      expect(described.resources[0]?.configEntries.map((entry) => entry.configValue)).toEqual(['zstd']);
    } finally {
      await admin.disconnect();
    }
    const w = await worker({ TOPIC_BILLING_PAYMENTS: payments });
    const events = overdueOnEveryPartition(payments, 'zstd-topic', 3);
    await sendWithJava({ settings: { 'compression.type': 'none' }, batches: [{ records: events.map((event) => event.record) }] });

    await expectNoStall(w);
    await expectSuspended(w, events);
    expect(w.deadLetters).toEqual([]);
  });

  it('applies valid events whose headers have a null value, a repeated name, an empty or a binary value', async () => {
    const w = await worker();
    const topic = w.topics.payments;
    const headerSets: Headers[] = [
      [['x-null', null]],
      [
        ['x-repeated', 'first'],
        ['x-repeated', 'second'],
      ],
      [['x-empty', '']],
      [['x-binary', BINARY]],
      [
        ['x-repeated', null],
        ['x-repeated', BINARY],
        ['x-null', null],
        ['x-repeated', 'third'],
      ],
    ];
    const events = headerSets.flatMap((headers, n) =>
      Array.from({ length: PARTITIONS }, (_, partition) => overdue(topic, `headers-${n}`, { partition, headers })),
    );
    await sendWithJava({ batches: [{ records: events.map((event) => event.record) }] });

    await expectNoStall(w);
    await expectSuspended(w, events);
    expect(w.deadLetters).toEqual([]);
  });

  it('with tracing on, applies valid events whose traceparent is null, repeated or binary, and dead-letters a bad one with a null traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    const w = await worker({}, startTracing('billing-enforcer', new SimpleSpanProcessor(exporter)));
    const topic = w.topics.payments;
    const traceparent = () => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const headerSets: Headers[] = [
      [['traceparent', null]],
      [
        ['traceparent', null],
        ['tracestate', null],
      ],
      [
        ['traceparent', traceparent()],
        ['traceparent', traceparent()],
      ],
      [
        ['traceparent', BINARY],
        ['tracestate', BINARY],
      ],
    ];
    const events = headerSets.flatMap((headers, n) =>
      Array.from({ length: PARTITIONS }, (_, partition) => overdue(topic, `traced-${n}`, { partition, headers })),
    );
    const bad: JavaRecord = { topic, partition: 0, key: 'sub-bad', value: 'not json', headers: [['traceparent', null]] };
    const sent = await sendWithJava({ batches: [{ records: [...events.map((event) => event.record), bad] }] });

    await expectNoStall(w);
    await expectSuspended(w, events);
    const [letter] = await lettersOf(w, sent.slice(-1));
    expectLetter(letter, 'INVALID_JSON', /^value is not JSON/);
    expect(w.deadLetters).toHaveLength(1);
  });

  it('dead-letters bad events with repeated and binary headers, with their reasons, keeping those headers byte for byte', async () => {
    const w = await worker();
    const topic = w.topics.payments;
    const ids = newIds('bad-headers');
    const headers: Headers = [
      ['x-repeated', 'first'],
      ['x-binary', BINARY],
      ['x-repeated', 'second'],
    ];
    const bad: JavaRecord[] = [
      { topic, partition: 0, key: ids.subscriptionId, value: '{"eventId": "truncated', headers },
      {
        topic,
        partition: 1,
        key: ids.subscriptionId,
        value: paymentOverdue(ids, 'inv-1').value.replace('"amountDue":120.5', '"amountDue":"lots"'),
        headers,
      },
      { topic, partition: 2, key: ids.subscriptionId, value: inboundEvent(ids, 'payment.forgiven', {}).value, headers },
    ];
    // Valid events behind the bad ones on every partition: each partition moves on past its bad record.
    const behind = overdueOnEveryPartition(topic, 'behind-bad', 1);
    const sent = await sendWithJava({ batches: [{ records: [...bad, ...behind.map((event) => event.record)] }] });

    const letters = await lettersOf(w, sent.slice(0, bad.length));
    expectLetter(letters[0], 'INVALID_JSON', /^value is not JSON/);
    expectLetter(letters[1], 'SCHEMA_VIOLATION', /data\.amountDue/);
    expectLetter(letters[2], 'UNKNOWN_EVENT_TYPE', /payment\.forgiven/);
    for (const [n, letter] of letters.entries()) {
      expect(letter.value).toBe(bad[n]?.value);
      expect(letter.rawHeaders['x-repeated']).toEqual([Buffer.from('first'), Buffer.from('second')]);
      expect(letter.rawHeaders['x-binary']).toEqual([BINARY]);
    }
    // The index an operator searches shows them too: the repeated name twice, the binary value as base64.
    await eventually(async () => {
      const { items } = await w.app.deadLetterStore.list({ sourceTopic: topic }, { limit: 10 });
      expect(items.map((item) => item.code).sort()).toEqual(['INVALID_JSON', 'SCHEMA_VIOLATION', 'UNKNOWN_EVENT_TYPE']);
      for (const item of items) {
        expect(item.reason?.length).toBeGreaterThan(0);
        expect(item.headers).toEqual([
          { name: 'x-repeated', value: 'first', encoding: 'utf8' },
          { name: 'x-repeated', value: 'second', encoding: 'utf8' },
          { name: 'x-binary', value: BINARY.toString('base64'), encoding: 'base64' },
        ]);
      }
    });

    await expectNoStall(w);
    await expectSuspended(w, behind);
    expect(await w.app.subscriptions.get(ids.subscriptionId)).toBeNull();
  });

  it('dead-letters bad events with a null-valued header, with their reasons, keeping the header', async () => {
    const w = await worker();
    const topic = w.topics.payments;
    const ids = newIds('null-header');
    const headers: Headers = [
      ['x-null', null],
      ['x-repeated', null],
      ['x-repeated', 'second'],
    ];
    const bad: JavaRecord[] = [
      { topic, partition: 0, key: ids.subscriptionId, value: 'not json', headers },
      { topic, partition: 1, key: `${ids.subscriptionId}-other`, value: paymentOverdue(ids, 'inv-1').value, headers },
    ];
    const behind = overdueOnEveryPartition(topic, 'behind-null-header', 1);
    const sent = await sendWithJava({ batches: [{ records: [...bad, ...behind.map((event) => event.record)] }] });

    const letters = await lettersOf(w, sent.slice(0, bad.length));
    expectLetter(letters[0], 'INVALID_JSON', /^value is not JSON/);
    expectLetter(letters[1], 'KEY_MISMATCH', /is not the subscriptionId/);
    for (const letter of letters) {
      expect(letter.rawHeaders['x-null']).toEqual([null]);
      expect(letter.rawHeaders['x-repeated']).toEqual([null, Buffer.from('second')]);
    }
    await eventually(async () => expect(await w.app.deadLetterStore.count({ sourceTopic: topic })).toBe(bad.length));

    await expectNoStall(w);
    await expectSuspended(w, behind);
  });

  it('dead-letters an event with a null key (MISSING_KEY) and a tombstone (MISSING_VALUE); the events behind them are applied', async () => {
    const w = await worker();
    const topic = w.topics.payments;
    const ids = newIds('null-key');
    const bad: JavaRecord[] = [
      { topic, partition: 0, key: null, value: paymentOverdue(ids, 'inv-1').value },
      { topic, partition: 1, key: ids.subscriptionId, value: null },
    ];
    const behind = overdueOnEveryPartition(topic, 'behind-null', 1);
    const sent = await sendWithJava({ batches: [{ records: [...bad, ...behind.map((event) => event.record)] }] });

    const [nullKey, tombstone] = await lettersOf(w, sent.slice(0, bad.length));
    expectLetter(nullKey, 'MISSING_KEY', /no key/);
    expect(nullKey?.key).toBeNull();
    expect(nullKey?.value).toBe(bad[0]?.value);
    expectLetter(tombstone, 'MISSING_VALUE', /no value/);
    expect(tombstone?.key).toBe(ids.subscriptionId);
    expect(tombstone?.value).toBeNull();

    await expectNoStall(w);
    await expectSuspended(w, behind);
    expect(await w.app.subscriptions.get(ids.subscriptionId)).toBeNull();
  });
});
