import { createHash } from 'node:crypto';

import { DLQ_HEADERS, DLQ_TRUNCATION_HEADERS } from '../../../src/contract/headers';
import { deadLetterRecord } from '../../../src/kafka/dead-letters';
import { AppError } from '../../../src/errors';
import type { InboundMessage } from '../../../src/kafka/inbound-message';

const FAILED_AT = '2026-06-01T12:00:00.000Z';
const MAX_RECORD = 4 * 1_048_576;

const inbound = (overrides: Partial<InboundMessage> = {}): InboundMessage => ({
  topic: 'billing.payments.v1',
  partition: 2,
  offset: '41',
  timestamp: '0',
  key: Buffer.from('sub-1'),
  value: Buffer.from('{"not json'),
  headers: { 'trace-id': 'trace-1' },
  ...overrides,
});

/** What a record weighs on the wire, near enough: key, value and every header name and value. */
function recordBytes(record: ReturnType<typeof deadLetterRecord>): number {
  let bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, raw] of Object.entries(record.headers)) {
    for (const value of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])
      bytes += Buffer.byteLength(name) + (value === null ? 0 : Buffer.byteLength(value));
  }
  return bytes;
}

describe('deadLetterRecord', () => {
  it('keeps a small letter whole: original key, value and headers, plus where it came from and why', () => {
    const record = deadLetterRecord({ message: inbound(), error: new AppError('INVALID_JSON', 'bad') }, FAILED_AT, MAX_RECORD);
    expect(record.key?.toString()).toBe('sub-1');
    expect(record.value?.toString()).toBe('{"not json');
    expect(record.headers).toEqual({
      'trace-id': 'trace-1',
      [DLQ_HEADERS.topic]: 'billing.payments.v1',
      [DLQ_HEADERS.partition]: '2',
      [DLQ_HEADERS.offset]: '41',
      [DLQ_HEADERS.code]: 'INVALID_JSON',
      [DLQ_HEADERS.reason]: 'bad',
      [DLQ_HEADERS.failedAt]: FAILED_AT,
    });
  });

  it('keeps a header written with a null value, and a repeated key, as they came (sizing them never throws)', () => {
    const record = deadLetterRecord(
      { message: inbound({ headers: { empty: null, twice: [Buffer.from('a'), null] } }), error: new AppError('INVALID_JSON', 'not JSON') },
      FAILED_AT,
      MAX_RECORD,
    );
    expect(record.headers.empty).toBeNull();
    expect(record.headers.twice).toEqual([Buffer.from('a'), null]);
    expect(record.headers[DLQ_HEADERS.code]).toBe('INVALID_JSON');
  });

  it('adds the headers a letter of its own carries (a whole batch), and drops inbound ones of those names', () => {
    const record = deadLetterRecord(
      {
        message: inbound({ headers: { 'dlq.source.last-offset': 'forged' } }),
        error: new AppError('BATCH_TOO_LARGE', 'too large'),
        headers: { 'dlq.source.last-offset': '90' },
      },
      FAILED_AT,
      MAX_RECORD,
    );
    expect(record.headers['dlq.source.last-offset']).toBe('90');
  });

  it('drops inbound dlq.* headers, so a producer cannot forge a replay link, a source or a code', () => {
    const record = deadLetterRecord(
      {
        message: inbound({ headers: { 'dlq.replay-of': '0-5', 'DLQ.error.code': 'NONE', 'dlq.source.topic': 'elsewhere', keep: 'me' } }),
        error: new AppError('INVALID_JSON', 'bad'),
      },
      FAILED_AT,
      MAX_RECORD,
    );
    expect(record.headers['dlq.replay-of']).toBeUndefined();
    expect(record.headers['DLQ.error.code']).toBeUndefined();
    expect(record.headers[DLQ_HEADERS.topic]).toBe('billing.payments.v1');
    expect(record.headers.keep).toBe('me');
  });

  it('cuts a value too large for the dead-letter topic, and records its size and SHA-256', () => {
    const value = Buffer.alloc(4_194_200, 'x');
    const record = deadLetterRecord(
      { message: inbound({ value }), error: new AppError('MESSAGE_TOO_LARGE', 'too large') },
      FAILED_AT,
      MAX_RECORD,
    );
    expect(recordBytes(record)).toBeLessThan(MAX_RECORD - 512);
    expect(value.subarray(0, record.value?.length).equals(record.value ?? Buffer.alloc(0))).toBe(true);
    expect(record.headers[DLQ_TRUNCATION_HEADERS.truncated]).toBe('value');
    expect(record.headers[DLQ_TRUNCATION_HEADERS.valueBytes]).toBe('4194200');
    expect(record.headers[DLQ_TRUNCATION_HEADERS.valueSha256]).toBe(createHash('sha256').update(value).digest('hex'));
    expect(record.headers[DLQ_HEADERS.offset]).toBe('41');
  });

  it('fits whatever the message carries: a huge key, huge headers and a huge reason', () => {
    const record = deadLetterRecord(
      {
        message: inbound({
          key: Buffer.alloc(900_000, 'k'),
          value: Buffer.alloc(4_194_000, 'v'),
          headers: { a: Buffer.alloc(500_000, 'a'), b: 'b'.repeat(500_000) },
        }),
        error: new AppError('PROCESSING_FAILED', 'r'.repeat(1_000_000)),
      },
      FAILED_AT,
      MAX_RECORD,
    );
    expect(recordBytes(record)).toBeLessThan(MAX_RECORD - 512);
    expect(record.headers[DLQ_TRUNCATION_HEADERS.truncated]).toBe('headers,key,value');
    expect(record.headers.a).toBeUndefined();
  });

  it('fits a small dead-letter topic too (MAX_MESSAGE_BYTES of 4 KiB: a 16 KiB topic)', () => {
    const record = deadLetterRecord(
      { message: inbound({ value: Buffer.alloc(600_000, 'v') }), error: new AppError('MESSAGE_TOO_LARGE', 'é'.repeat(5_000)) },
      FAILED_AT,
      16_384,
    );
    expect(recordBytes(record)).toBeLessThan(16_384 - 512);
    expect(record.value?.length).toBeGreaterThan(8_000);
  });
});
