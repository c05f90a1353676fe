import { CompressionTypes, type Producer } from 'kafkajs';

import { DLQ_BATCH_HEADERS, DLQ_HEADERS } from '../../src/contract/headers';
import type { StatusDocument, SkipDocument } from '../../src/cli/partitions.command';
import { runCliChild, runCliHere, type CliRun } from '../support/cli-run';
import { newIds, paymentOverdue } from '../support/events';
import { testKafka } from '../support/kafka.helper';
import { forgetLz4Decompression, restoreCodecs } from '../support/lz4-unavailable';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

/** The CLI in this process with only the API token: whatever it shows or does, it went through the worker's HTTP API. */
const viaApi = (h: Harness, args: readonly string[]): Promise<CliRun> =>
  runCliHere(['--api', h.baseUrl, ...args], { BILLING_ENFORCER_API_TOKEN: ADMIN_TOKEN });

/**
 * The real CLI in a child process, as an operator runs it against the stores. A child, not this process: a Kafka
 * client built here would give the worker its LZ4 decompression back (kafkajs's codecs are process-wide).
 */
function direct(h: Harness, args: readonly string[]): Promise<CliRun> {
  const { config } = h.app;
  return runCliChild(args, {
    KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
    KAFKA_GROUP_ID: config.KAFKA_GROUP_ID,
    MONGODB_URI: config.MONGODB_URI,
    TOPIC_BILLING_PAYMENTS: config.TOPIC_BILLING_PAYMENTS,
    TOPIC_FRAUD_SIGNALS: config.TOPIC_FRAUD_SIGNALS,
    TOPIC_CUSTOMER_REQUESTS: config.TOPIC_CUSTOMER_REQUESTS,
  });
}

const json = (run: CliRun): unknown => {
  try {
    return JSON.parse(run.stdout) as unknown;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
};

async function ready(h: Harness): Promise<number> {
  return (await fetch(`${h.baseUrl}/readyz`)).status;
}

/**
 * `partitions status|skip` and the console's health page against a worker holding a partition at a record batch it
 * cannot decode (an LZ4 batch, with LZ4 taken from this process's client): what the operator sees, the approval that
 * lets the worker past, and what it let through.
 */
describe('billing-enforcer partitions, on the real stack', () => {
  let h: Harness;
  let producer: Producer;
  let topic: string;

  beforeAll(async () => {
    h = await startWorker({ CONSUMER_STALL_AFTER: 'PT5S', RETRY_BACKOFF_MAX: 'PT1S' });
    topic = h.topics.payments;
    producer = testKafka().producer();
    await producer.connect();
    forgetLz4Decompression();
    const held = paymentOverdue(newIds('held'), 'INV-held');
    await producer.send({ topic, compression: CompressionTypes.LZ4, messages: [{ partition: 0, key: held.key, value: held.value }] });
    await eventually(async () => expect(await ready(h)).toBe(503), 60_000, 250);
  });
  afterAll(async () => {
    restoreCodecs();
    await producer.disconnect();
    await h.stop();
  });

  it('status through the API: the held partition, its offsets, and the command that moves past it', async () => {
    const run = await viaApi(h, ['partitions', 'status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`inbound +unsupported-codec +${topic.replace(/\./g, '\\.')}\\[0\\] +0 +\\d+ (s|min) +unsupported-codec: lz4`),
    );
    expect(run.stdout).toContain(`billing-enforcer partitions skip ${topic} 0 --from 0 --to 0 --reason <why> --actor <you>`);
    expect(run.stdout).toContain('no skip approvals');
    const document = json(await viaApi(h, ['--json', 'partitions', 'status'])) as StatusDocument;
    expect(document).toEqual({
      source: 'api',
      problems: [
        expect.objectContaining({ consumer: 'inbound', cause: 'unsupported-codec', topic, partition: 0, offset: '0', lastOffset: '0' }),
      ],
      skips: [],
    });
  });

  it('the console health page names the problem', async () => {
    const page = await (await fetch(`${h.baseUrl}/admin/health`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(page).toContain('<tr data-consumer="inbound" data-cause="unsupported-codec">');
    expect(page).toContain(`<code>${topic}[0]</code>`);
    expect(page).toContain('LZ4 compression not implemented');
    expect(page).toContain('No skip approvals.');
  });

  it('status directly: problems live in the worker; each inbound partition’s committed offset and lag from Kafka', async () => {
    const run = await direct(h, ['--json', 'partitions', 'status']);
    expect(run.code).toBe(0);
    const document = json(run) as Extract<StatusDocument, { source: 'stores' }>;
    expect(document.problems).toBeNull();
    expect(document.problemsNote).toContain('known only to a running worker');
    expect(document.partitions).toHaveLength(9);
    expect(document.partitions).toContainEqual({ topic, partition: 0, committed: 0, lag: 1 });
    expect(document.skips).toEqual([]);
  });

  it('skip: a range that misses the batch is said to, a covering one lets the worker past; both are listed with what they let through', async () => {
    // Through the API, a range after the batch: recorded, but the operator hears that the batch stays held.
    const narrow = await viaApi(h, [
      'partitions',
      'skip',
      topic,
      '0',
      '--from',
      '1',
      '--to',
      '5',
      '--reason',
      'wrong range',
      '--actor',
      'ops:api',
    ]);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toContain(`approved: skip on ${topic}[0], offsets 1-5, by ops:api`);
    expect(narrow.stdout).toContain(`holds ${topic}[0] at 0 (unsupported-codec): NOT within 1-5, it stays held`);
    expect(await ready(h)).toBe(503);

    // Refused as the error table says: a topic the worker does not consume is a usage error, in both modes.
    const foreign = ['partitions', 'skip', 'not.inbound.v1', '0', '--from', '0', '--to', '0', '--reason', 'r', '--actor', 'a'];
    expect((await viaApi(h, foreign)).code).toBe(2);
    const refused = await direct(h, foreign);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not one the worker consumes');

    // Directly on MongoDB, the covering range: the replica that owns the partition carries it out.
    const run = await direct(h, [
      '--json',
      'partitions',
      'skip',
      topic,
      '0',
      '--from',
      '0',
      '--to',
      '0',
      '--reason',
      'INC-7 lz4',
      '--actor',
      'ops:direct',
    ]);
    expect(run.code).toBe(0);
    const approved = json(run) as SkipDocument;
    expect(approved).toMatchObject({
      approval: { topic, partition: 0, fromOffset: '0', toOffset: '0', actor: 'ops:direct', skipped: [] },
      held: null,
    });
    const letter = await eventually(() => {
      const found = h.deadLetters.find((candidate) => candidate.headers[DLQ_HEADERS.code] === 'BATCH_SKIPPED');
      expect(found).toBeDefined();
      return found;
    }, 60_000);
    expect(letter?.headers).toMatchObject({ [DLQ_HEADERS.partition]: '0', [DLQ_BATCH_HEADERS.skippedBy]: 'ops:direct' });
    await eventually(async () => expect(await ready(h)).toBe(200), 30_000, 250);

    const status = json(await viaApi(h, ['--json', 'partitions', 'status'])) as StatusDocument;
    expect(status.problems).toEqual([]);
    expect(status.skips).toEqual([
      expect.objectContaining({
        id: approved.approval.id,
        actor: 'ops:direct',
        skipped: [expect.objectContaining({ firstOffset: '0', lastOffset: '0' })],
      }),
      expect.objectContaining({ actor: 'ops:api', fromOffset: '1', skipped: [] }),
    ]);
    const text = await viaApi(h, ['partitions', 'status']);
    expect(text.stdout).toContain('no consumer problems on the replica that answered');
    expect(text.stdout).toMatch(/ops:direct +INC-7 lz4 +0 at \d{4}-\d\d-\d\dT/);
    expect(text.stdout).toMatch(/ops:api +wrong range +nothing yet/);

    const page = await (await fetch(`${h.baseUrl}/admin/health`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(page).toContain('Every consumer of this replica is making progress.');
    expect(page).toContain(`<tr data-skip="${approved.approval.id}">`);
  });
});
