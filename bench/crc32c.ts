/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's CRC-32C, which its package does not export */
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * `npx tsx bench/crc32c.ts`: what the CRC-32C check our kafkajs patch adds costs per MiB of records, beside what the
 * same bytes already cost to gunzip and to parse as JSON, in the same run.
 */
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

const record = '{"eventId":"ev-1","type":"payment.overdue","occurredAt":"2026-12-02T06:00:00Z","subscriptionId":"sub-1"}';
const bytes = Buffer.from(`[${Array.from({ length: 10_000 }, () => record).join(',')}]`);
const compressed = gzipSync(bytes);

function msPerMiB(work: () => unknown, rounds = 50): number {
  for (let round = 0; round < 5; round += 1) work();
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round += 1) work();
  return Number(process.hrtime.bigint() - started) / 1e6 / rounds / (bytes.length / 1_048_576);
}

const rows: [string, number][] = [
  ['CRC-32C (kafkajs, our patch checks it)', msPerMiB(() => crc32C(bytes))],
  ['gunzip', msPerMiB(() => gunzipSync(compressed))],
  ['JSON.parse', msPerMiB(() => JSON.parse(bytes.toString('utf8')) as unknown)],
];
console.log(`${(bytes.length / 1_048_576).toFixed(2)} MiB of records, ${record.length} bytes each:`);
for (const [what, ms] of rows) console.log(`  ${what.padEnd(40)} ${ms.toFixed(2)} ms per MiB`);
