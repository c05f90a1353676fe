import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { CompressionTypes } from 'kafkajs';

import { registerCodecs } from '../src/kafka/codecs';
import { outputDir, repoRoot } from './child';
import { benchKafka, deleteTopics } from './kafka-io';
import { loadStack } from './stack-env';

/**
 * `npm run bench:bombs`: the worker's memory while gzip bombs go by (issue 20). The same real worker (src/main.ts) runs
 * twice in this run on the local stack: with the default decompression bound, and with the bound raised past the bomb
 * (the behaviour before the bound existed: kafkajs inflated whatever came). Each time it is sent BENCH_BOMBS bombs of
 * BENCH_BOMB_MIB MiB of spaces (about a thousandth of that on the wire), then one valid event; we wait until that event
 * is applied and read the worker's resident set from /proc (VmRSS before, VmHWM, the peak, after).
 */
function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

const ACCESS_TOKEN = randomUUID();
const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(0);

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Run {
  readonly label: string;
  readonly batchBound: string;
  readonly rssBefore: number;
  readonly peak: number;
  readonly rssAfter: number;
  readonly seconds: number;
}

async function run(label: string, batchBound: number, bombs: number, bombBytes: number): Promise<Run> {
  const stack = loadStack();
  const id = randomUUID().slice(0, 8);
  const topics = {
    payments: `bomb-payments-${id}`,
    fraud: `bomb-fraud-${id}`,
    customer: `bomb-customer-${id}`,
    lifecycle: `bomb-lifecycle-${id}`,
    dlq: `bomb-dlq-${id}`,
  };
  const port = 18_000 + Math.floor(Math.random() * 2_000);
  const url = new URL(stack.MONGODB_URI);
  url.pathname = `/bomb-${id}`;
  fs.mkdirSync(outputDir, { recursive: true });
  const log = fs.openSync(path.join(outputDir, `bombs-${label}.log`), 'w');
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      ...stack,
      MONGODB_URI: url.toString(),
      KAFKA_GROUP_ID: `bomb-${id}`,
      TOPIC_BILLING_PAYMENTS: topics.payments,
      TOPIC_FRAUD_SIGNALS: topics.fraud,
      TOPIC_CUSTOMER_REQUESTS: topics.customer,
      TOPIC_LIFECYCLE: topics.lifecycle,
      TOPIC_DLQ: topics.dlq,
      TIMER_QUEUE: `bomb-${id}`,
      KAFKA_TOPIC_PARTITIONS: '1',
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ACCESS_API_TOKEN: ACCESS_TOKEN,
      KAFKA_MAX_BATCH_DECOMPRESSED_BYTES: String(batchBound),
      KAFKA_MAX_FETCH_DECOMPRESSED_BYTES: String(Math.max(batchBound, 32 * 1_048_576)),
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const pid = worker.pid ?? 0;
  const kafka = benchKafka(stack.KAFKA_BROKERS);
  const producer = kafka.producer();
  try {
    await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 120_000, 'the worker to be ready');
    const rssBefore = status(pid, 'VmRSS');
    await producer.connect();
    const bomb = Buffer.alloc(bombBytes, 0x20);
    const started = Date.now();
    for (let index = 0; index < bombs; index += 1) {
      await producer.send({
        topic: topics.payments,
        compression: CompressionTypes.GZIP,
        messages: [{ key: `bomb-${index}`, value: bomb }],
      });
    }
    const subscriptionId = `sub-${id}`;
    const event = {
      eventId: `ev-${id}`,
      type: 'payment.overdue',
      occurredAt: new Date().toISOString(),
      subscriptionId,
      customerId: `cust-${id}`,
      tenantId: 'tenant-bench',
      data: { invoiceId: 'INV-1', amountDue: 10, currency: 'EUR', daysOverdue: 31 },
    };
    await producer.send({ topic: topics.payments, messages: [{ key: subscriptionId, value: JSON.stringify(event) }] });
    await until(
      async () =>
        (
          await fetch(`http://127.0.0.1:${port}/v1/subscriptions/${subscriptionId}`, {
            headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
          })
        ).status === 200,
      300_000,
      'the event behind the bombs to be applied',
    );
    const seconds = (Date.now() - started) / 1000;
    return { label, batchBound: mib(batchBound), rssBefore, peak: status(pid, 'VmHWM'), rssAfter: status(pid, 'VmRSS'), seconds };
  } finally {
    await producer.disconnect().catch(() => undefined);
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await deleteTopics(kafka, Object.values(topics)).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  // The producer here compresses with our codecs too (gzip is kafkajs's own; registered for symmetry).
  registerCodecs({ maxBatchBytes: 1 << 30, maxFetchBytes: 1 << 30 });
  const bombs = intEnv('BENCH_BOMBS', 10);
  const bombBytes = intEnv('BENCH_BOMB_MIB', 64) * 1_048_576;
  const bounded = await run('bounded', 16 * 1_048_576, bombs, bombBytes);
  const unbounded = await run('unbounded', 2 * bombBytes, bombs, bombBytes);
  console.log(
    `${bombs} gzip bombs of ${mib(bombBytes)} MiB each (about ${Math.round(bombBytes / 1030 / 1024)} KiB on the wire), then one valid event:`,
  );
  console.log(
    '| worker | batch bound (MiB) | RSS before (MiB) | peak RSS (MiB) | RSS after (MiB) | seconds until the event behind them was applied |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of [bounded, unbounded])
    console.log(
      `| ${row.label} | ${row.batchBound} | ${mib(row.rssBefore)} | ${mib(row.peak)} | ${mib(row.rssAfter)} | ${row.seconds.toFixed(1)} |`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
