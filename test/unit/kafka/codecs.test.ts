import { randomBytes } from 'node:crypto';

import { CompressionCodecs, CompressionTypes, DecompressionLimits } from 'kafkajs';
import { compressFrame } from 'lz4-napi';
import { compress as snappyCompress } from 'snappy';

import { DecompressionBoundError, lz4Bound, registerCodecs } from '../../../src/kafka/codecs';

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer, options?: { maxOutputBytes: number }): Promise<Buffer>;
}

const TYPES = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

function codec(name: keyof typeof TYPES): Codec {
  return CompressionCodecs[TYPES[name]]() as Codec;
}

beforeAll(() => {
  registerCodecs({ maxBatchBytes: 1_048_576, maxFetchBytes: 4 * 1_048_576 });
});

describe.each(Object.keys(TYPES) as (keyof typeof TYPES)[])('%s', (name) => {
  const text = Buffer.from('{"eventId":"ev-1","type":"payment.overdue"}\n'.repeat(5_000));

  it('decompresses what it compressed, text and random bytes alike', async () => {
    for (const data of [text, randomBytes(100_000), Buffer.alloc(0)]) {
      const compressed = await codec(name).compress({ buffer: data });
      expect((await codec(name).decompress(compressed, { maxOutputBytes: 1_048_576 })).equals(data)).toBe(true);
    }
  });

  it('refuses, as a bound error, to produce more than it is allowed', async () => {
    const compressed = await codec(name).compress({ buffer: Buffer.alloc(2 * 1_048_576, 0x20) });
    await expect(codec(name).decompress(compressed, { maxOutputBytes: 1_048_576 })).rejects.toMatchObject({
      name: 'DecompressionBoundError',
      code: 'ERR_BUFFER_TOO_LARGE',
    });
  });

  it('fails on bytes that are not its format, with an error that is not a bound error', async () => {
    const error = await codec(name)
      .decompress(Buffer.from('definitely not compressed'), { maxOutputBytes: 1_048_576 })
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    // zlib's errors come from another realm than jest's: compared by shape, not class.
    expect(error).toMatchObject({ message: expect.any(String) as string });
    expect((error as { code?: unknown }).code).not.toBe('ERR_BUFFER_TOO_LARGE');
  });
});

describe('snappy as producers frame it', () => {
  it('reads a raw block without the xerial header (librdkafka and xerial both accept one)', async () => {
    const data = Buffer.from('raw snappy '.repeat(1_000));
    expect((await codec('snappy').decompress(await snappyCompress(data), { maxOutputBytes: 1_048_576 })).equals(data)).toBe(true);
  });

  it('refuses a bomb from the lengths its blocks declare, before decompressing any', async () => {
    const bomb = await snappyCompress(Buffer.alloc(3 * 1_048_576));
    await expect(codec('snappy').decompress(bomb, { maxOutputBytes: 1_048_576 })).rejects.toBeInstanceOf(DecompressionBoundError);
  });
});

describe('lz4Bound', () => {
  it('bounds a frame by its blocks, within one block of what it holds', async () => {
    const data = Buffer.alloc(1_000_000, 0x61);
    const bound = lz4Bound(await compressFrame(data));
    expect(bound.bytes).toBeGreaterThanOrEqual(data.length);
    expect(bound.bytes - bound.slack).toBeLessThanOrEqual(data.length);
  });

  it('refuses what is not an LZ4 frame, and a frame cut short', async () => {
    expect(() => lz4Bound(Buffer.from('not lz4 at all'))).toThrow('not an lz4 frame');
    const frame = await compressFrame(Buffer.alloc(200_000, 0x62));
    expect(() => lz4Bound(frame.subarray(0, frame.length - 20))).toThrow('lz4 frame ends early');
  });
});

describe('registerCodecs', () => {
  it('sets the bounds kafkajs (patched) hands the codecs, a fetch never smaller than a batch', () => {
    registerCodecs({ maxBatchBytes: 2_000_000, maxFetchBytes: 1_000 });
    expect(DecompressionLimits).toEqual({ maxBytesPerBatch: 2_000_000, maxBytesPerFetch: 2_000_000 });
    registerCodecs({ maxBatchBytes: 1_048_576, maxFetchBytes: 4 * 1_048_576 });
  });
});
