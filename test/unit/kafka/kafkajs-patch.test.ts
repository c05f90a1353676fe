/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's own record-batch encoder and decoder, which its package does not export */
import { CompressionTypes, type UndecodableRecordBatch } from 'kafkajs';

import { registerCodecs } from '../../../src/kafka/codecs';

/**
 * Our patch of kafkajs (patches/kafkajs+2.2.4.patch), exercised through kafkajs's own encoder and decoder: a record
 * batch that cannot be decoded is reported with its offsets instead of failing the fetch, its CRC-32C is checked, and
 * a codec id kafkajs does not know is refused rather than read as uncompressed bytes.
 */
type Encoded = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (options: object) => Promise<Encoded> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (options: object) => Encoded;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => object;
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (
  decoder: object,
) => Promise<{ value: Buffer | null; offset: string }[] & { undecodable?: UndecodableRecordBatch }>;
const Long = require('kafkajs/src/utils/long') as { fromValue(value: number): unknown };

async function batch(firstOffset: number, values: string[], compression = CompressionTypes.None): Promise<Buffer> {
  const records = values.map((value, offsetDelta) => Record({ key: null, value, headers: {}, offsetDelta, timestampDelta: 0 }));
  const encoded = await RecordBatch({ compression, firstOffset: Long.fromValue(firstOffset), lastOffsetDelta: values.length - 1, records });
  return encoded.buffer;
}

/** A partition's record set as a fetch response carries it: its size, then the batches. */
function recordSet(...batches: Buffer[]): object {
  const body = Buffer.concat(batches);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return new Decoder(Buffer.concat([size, body]));
}

beforeAll(() => {
  registerCodecs({ maxBatchBytes: 1_048_576, maxFetchBytes: 4 * 1_048_576 });
});

describe('kafkajs, patched', () => {
  it('decodes good batches as before', async () => {
    const records = await decodeMessages(recordSet(await batch(0, ['a', 'b']), await batch(2, ['c'], CompressionTypes.ZSTD)));
    expect(records.map((record) => record.value?.toString())).toEqual(['a', 'b', 'c']);
    expect(records.undecodable).toBeUndefined();
  });

  it('delivers the records before a corrupt batch and reports that batch (CRC-32C), instead of failing them all', async () => {
    const bad = await batch(2, ['c', 'd']);
    bad.writeUInt8((bad.at(-1) ?? 0) ^ 0xff, bad.length - 1);
    const records = await decodeMessages(recordSet(await batch(0, ['a', 'b']), bad, await batch(4, ['e'])));
    expect(records.map((record) => record.value?.toString())).toEqual(['a', 'b']);
    expect(records.undecodable).toMatchObject({ name: 'KafkaJSUndecodableRecordBatch', firstOffset: '2', lastOffset: '3' });
    expect(records.undecodable?.cause).toMatchObject({ name: 'KafkaJSCorruptRecordBatch' });
    expect(records.undecodable?.rawBatch.equals(bad)).toBe(true);
  });

  it('refuses a codec id it does not know (one Kafka adds later) instead of reading the bytes as records', async () => {
    const future = await batch(0, ['a']);
    // Attributes sit after base offset (8), length (4), leader epoch (4), magic (1) and CRC (4); the CRC covers them.
    future.writeInt16BE(5, 21);
    const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;
    future.writeUInt32BE(crc32C(future.subarray(21)), 17);
    const records = await decodeMessages(recordSet(future));
    expect(records).toEqual([]);
    expect(records.undecodable?.cause).toMatchObject({ name: 'KafkaJSNotImplemented' });
  });

  it('stops a batch at the decompression bound, and leaves a batch past the fetch allowance for the next fetch', async () => {
    registerCodecs({ maxBatchBytes: 100_000, maxFetchBytes: 150_000 });
    try {
      const big = 'x'.repeat(90_000);
      const fits = await decodeMessages(
        recordSet(await batch(0, [big], CompressionTypes.GZIP), await batch(1, [big], CompressionTypes.GZIP)),
      );
      expect(fits).toHaveLength(1);
      expect(fits.undecodable).toBeUndefined();
      const over = await decodeMessages(recordSet(await batch(0, ['y'.repeat(200_000)], CompressionTypes.GZIP)));
      expect(over.undecodable?.cause).toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' });
    } finally {
      registerCodecs({ maxBatchBytes: 1_048_576, maxFetchBytes: 4 * 1_048_576 });
    }
  });
});
