import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { CompressionTypes, type Producer } from 'kafkajs';

import { DLQ_BATCH_HEADERS, DLQ_HEADERS } from '../../src/contract/headers';
import { createKafka } from '../../src/kafka/kafka-client';
import { PartitionRunner } from '../../src/kafka/partition-runner';
import { createLogger } from '../../src/logging/logger';
import { newIds, paymentOverdue } from '../support/events';
import { createTopics, deleteTopics, testKafka } from '../support/kafka.helper';
import { forgetLz4Decompression, restoreCodecs } from '../support/lz4-unavailable';
import { stackConnection } from '../support/stack-env';
import { uniqueName } from '../support/unique-name';
import { scrape } from '../support/metrics-scrape';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

/**
 * What the worker does with a record batch its client cannot decode (issue 20): it holds that partition only, says so
 * on /readyz, in metrics and logs, and moves past it only when an operator approves, keeping the batch as a dead
 * letter. The worker runs in this process, so "a codec the client lacks" is made by taking LZ4's decompression away
 * from kafkajs's (process-wide) registry after this test's producer has compressed with it: exactly the state kafkajs
 * 2.2.4 is in without our codecs.
 */

interface Problem {
  readonly consumer: string;
  readonly cause: string;
  readonly topic: string | null;
  readonly partition: number | null;
  readonly offset: string | null;
  readonly lastOffset: string | null;
  readonly detail: string;
}

interface Readiness {
  readonly status: string;
  readonly checks: Record<string, boolean>;
  readonly problems: Problem[];
}

async function readiness(h: Harness): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${h.baseUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

const quiet = createLogger('fatal', {}, new Writable({ write: (_chunk, _encoding, done) => done() }));

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

async function applied(h: Harness, subscriptionId: string): Promise<void> {
  await eventually(async () => expect((await h.app.subscriptions.get(subscriptionId))?.state.status).toBe('suspended'), 60_000, 200);
}

describe('a record batch the worker cannot decode', () => {
  let h: Harness;
  let producer: Producer;

  beforeAll(async () => {
    h = await startWorker({ CONSUMER_STALL_AFTER: 'PT5S', RETRY_BACKOFF_MAX: 'PT1S' });
    producer = testKafka().producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await h.stop();
    restoreCodecs();
  });

  it('holds its own partition only, is reported once, and is moved past only by an approved skip that dead-letters it', async () => {
    const topic = h.topics.payments;
    expect((await readiness(h)).status).toBe(200);
    forgetLz4Decompression();
    const held = newIds('held');
    const event = paymentOverdue(held, 'INV-held');
    await producer.send({ topic, compression: CompressionTypes.LZ4, messages: [{ partition: 0, key: event.key, value: event.value }] });
    // Other partitions go on: events sent after the bad batch are applied.
    const others = [newIds('other-1'), newIds('other-2')];
    await producer.send({
      topic,
      messages: others.map((ids, index) => ({ partition: index + 1, ...paymentOverdue(ids, `INV-${index}`) })),
    });
    for (const ids of others) await applied(h, ids.subscriptionId);

    const stalled = await eventually(async () => {
      const answer = await readiness(h);
      expect(answer.status).toBe(503);
      return answer.body;
    });
    expect(stalled.checks.partitionsProgressing).toBe(false);
    expect(stalled.problems).toEqual([
      expect.objectContaining({ consumer: 'inbound', cause: 'unsupported-codec', topic, partition: 0, offset: '0', lastOffset: '0' }),
    ]);
    expect(stalled.problems[0]?.detail).toContain('LZ4 compression not implemented');

    // Counted once, not once per retry: let it be re-read a few times (a backoff of at most a second) first.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const metrics = await scrape(h);
    expect(metrics.sum('billing_enforcer_undecodable_batches_total', { topic, cause: 'unsupported-codec', outcome: 'stalled' })).toBe(1);
    expect(metrics.sum('billing_enforcer_consumer_stalled', { consumer: 'inbound', cause: 'unsupported-codec' })).toBe(1);
    expect(await h.app.subscriptions.get(held.subscriptionId)).toBeNull();

    // The way out: an approval naming the range; the replica that owns the partition carries it out.
    const refused = await fetch(`${h.baseUrl}/v1/partitions/skips`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ topic, partition: 0, fromOffset: '5', toOffset: '2', actor: 'ops:jane', reason: 'lz4 batch' }),
    });
    expect(refused.status).toBe(400);
    const approved = await fetch(`${h.baseUrl}/v1/partitions/skips`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        topic,
        partition: 0,
        fromOffset: '0',
        toOffset: '0',
        actor: 'ops:jane',
        reason: 'producer misconfigured, INC-7',
      }),
    });
    expect(approved.status).toBe(201);

    const letter = await eventually(() => {
      const found = h.deadLetters.find((candidate) => candidate.headers[DLQ_HEADERS.code] === 'BATCH_SKIPPED');
      expect(found).toBeDefined();
      return found;
    }, 60_000);
    expect(letter?.headers).toMatchObject({
      [DLQ_HEADERS.topic]: topic,
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: '0',
      [DLQ_BATCH_HEADERS.lastOffset]: '0',
      [DLQ_BATCH_HEADERS.compression]: 'lz4',
      [DLQ_BATCH_HEADERS.skippedBy]: 'ops:jane',
      [DLQ_BATCH_HEADERS.skipReason]: 'producer misconfigured, INC-7',
    });
    expect(letter?.headers[DLQ_HEADERS.reason]).toContain('unsupported');
    await eventually(async () => expect((await readiness(h)).status).toBe(200), 30_000, 250);

    // The partition goes on, and the approval records what it let through.
    const after = newIds('after');
    await producer.send({ topic, messages: [{ partition: 0, ...paymentOverdue(after, 'INV-after') }] });
    await applied(h, after.subscriptionId);
    const listed = (await (await fetch(`${h.baseUrl}/v1/partitions`, { headers: admin })).json()) as {
      problems: Problem[];
      skips: { actor: string; skipped: { firstOffset: string; lastOffset: string }[] }[];
    };
    expect(listed.problems).toEqual([]);
    expect(listed.skips).toEqual([
      expect.objectContaining({ actor: 'ops:jane', skipped: [expect.objectContaining({ firstOffset: '0', lastOffset: '0' })] }),
    ]);
    restoreCodecs();
  });
});

describe('a compression bomb', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ MAX_MESSAGE_BYTES: '65536', KAFKA_MAX_BATCH_DECOMPRESSED_BYTES: '262144' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('is dead-lettered whole without being decompressed past the bound, and its partition goes on', async () => {
    const topic = h.topics.payments;
    const producer = testKafka().producer();
    await producer.connect();
    try {
      // 8 MiB of spaces: about 8 KB on the wire, 32 times the batch bound once decompressed.
      const bomb = Buffer.alloc(8 * 1_048_576, 0x20);
      expect(gzipSync(bomb).length).toBeLessThan(65_536);
      await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ partition: 0, key: 'bomb', value: bomb }] });
      const next = newIds('after-bomb');
      await producer.send({ topic, messages: [{ partition: 0, ...paymentOverdue(next, 'INV-next') }] });
      await applied(h, next.subscriptionId);
    } finally {
      await producer.disconnect();
    }
    const letter = await eventually(() => {
      const found = h.deadLetters.find((candidate) => candidate.headers[DLQ_HEADERS.code] === 'BATCH_TOO_LARGE');
      expect(found).toBeDefined();
      return found;
    });
    expect(letter?.headers).toMatchObject({ [DLQ_HEADERS.topic]: topic, [DLQ_BATCH_HEADERS.compression]: 'gzip' });
    expect(letter?.headers[DLQ_HEADERS.reason]).toContain('262144');
    expect((await readiness(h)).status).toBe(200);
    const metrics = await scrape(h);
    expect(metrics.sum('billing_enforcer_undecodable_batches_total', { topic, cause: 'too-large', outcome: 'dead-lettered' })).toBe(1);
  });
});

describe('a consumer that crashes below the handler', () => {
  it('is reported with its cause, counted, and relaunched for as long as the runner runs', async () => {
    // The client's own log, through ours and silenced: its crash lines are what this test provokes.
    const kafka = createKafka({ clientId: uniqueName('crashing'), brokers: stackConnection().KAFKA_BROKERS.split(','), logger: quiet });
    const topic = uniqueName('crashing');
    await createTopics(kafka, [topic]);
    const crashes: string[] = [];
    // The broker refuses a session timeout under its group.min.session.timeout.ms (6 s; the config schema refuses one
    // too, so the runner is built here): every join fails, non-retriable, which kafkajs never restarts by itself.
    const runner = new PartitionRunner(
      kafka,
      {
        name: 'inbound',
        groupId: uniqueName('group'),
        topics: [topic],
        sliceSize: 10,
        commitsInFlight: 1,
        backoffMaxMs: 500,
        sessionTimeoutMs: 5_000,
        deadLetters: null,
        observer: {
          consumerCrashed: (_consumer, cause, restart) => crashes.push(`${cause} ${restart}`),
          batchUndecodable: () => undefined,
        },
      },
      () => Promise.resolve({ deadLetters: [] }),
      quiet,
    );
    try {
      await runner.start();
      // Relaunched and crashed again, more than once: a crash loop, not a consumer that silently stopped.
      await eventually(() => expect(crashes.length).toBeGreaterThanOrEqual(3), 60_000, 200);
      expect(new Set(crashes)).toEqual(new Set(['KafkaJSProtocolError true']));
      expect(runner.health()).toEqual([
        expect.objectContaining({ consumer: 'inbound', cause: 'crash-loop', topic: null, partition: null }),
      ]);
      expect(runner.health()[0]?.detail).toMatch(/session timeout/i);
    } finally {
      await runner.stop();
      await deleteTopics(kafka, [topic]);
    }
  });
});

describe('a partition with lag whose committed offset does not move', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ CONSUMER_STALL_AFTER: 'PT5S' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('is reported after the stall threshold, whatever stopped it', async () => {
    const topic = h.topics.payments;
    const first = newIds('moving');
    await h.produce(topic, [paymentOverdue(first, 'INV-1')]);
    await applied(h, first.subscriptionId);
    // The client stops fetching one partition and says nothing (as a client bug would): only lag shows it.
    h.app.runners.inbound.kafkaConsumer.pause([{ topic, partitions: [2] }]);
    const stuck = newIds('unmoved');
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 2, ...paymentOverdue(stuck, 'INV-2') }] });
    await producer.disconnect();
    const answer = await eventually(
      async () => {
        const now = await readiness(h);
        expect(now.status).toBe(503);
        return now.body;
      },
      60_000,
      500,
    );
    expect(answer.problems).toEqual([expect.objectContaining({ consumer: 'inbound', cause: 'no-progress', topic, partition: 2 })]);
    h.app.runners.inbound.kafkaConsumer.resume([{ topic, partitions: [2] }]);
    await applied(h, stuck.subscriptionId);
    await eventually(async () => expect((await readiness(h)).status).toBe(200), 60_000, 500);
  });
});
