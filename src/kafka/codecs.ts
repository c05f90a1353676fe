import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

import { CompressionCodecs, CompressionTypes, DecompressionLimits, type DecompressOptions } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';

import type { ProducerCompression } from '../config/kafka-compression';

/**
 * Every codec Kafka defines (gzip, snappy, lz4, zstd), each bounded in what it decompresses. kafkajs 2.2.4 ships gzip
 * only; without the others a batch that a Java, Go or librdkafka producer compressed (or that a topic's
 * `compression.type` recompressed) cannot be read at all. The bounds reach the codecs through our kafkajs patch
 * (patches/kafkajs+2.2.4.patch): a codec is told how much it may produce and fails with ERR_BUFFER_TOO_LARGE past it,
 * before it has allocated more.
 */

export interface DecompressionBounds {
  /** Decompressed bytes one record batch may hold. */
  readonly maxBatchBytes: number;
  /** Decompressed bytes one fetch response may hold, all partitions together; a batch past it waits for the next fetch. */
  readonly maxFetchBytes: number;
}

interface KafkaEncoder {
  readonly buffer: Buffer;
}

interface Codec {
  compress(encoder: KafkaEncoder): Promise<Buffer>;
  decompress(buffer: Buffer, options?: DecompressOptions): Promise<Buffer>;
}

/** The error kafkajs's patched decoder tells apart: the batch is bigger than it may be, not broken. */
export class DecompressionBoundError extends RangeError {
  readonly code = 'ERR_BUFFER_TOO_LARGE';
  constructor(
    readonly codec: string,
    readonly boundBytes: number,
  ) {
    super(`${codec} record batch decompresses to more than ${boundBytes} bytes`);
    this.name = 'DecompressionBoundError';
  }
}

const gunzip = promisify(zlib.unzip);
const gzip = promisify(zlib.gzip);
const zstdDecompress = promisify(zlib.zstdDecompress);
const zstdCompress = promisify(zlib.zstdCompress);

/** zlib refuses a maxOutputLength beyond a Buffer's largest size, and Infinity. */
function outputLimit(options: DecompressOptions | undefined): number {
  const limit = options?.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(limit, bufferConstants.MAX_LENGTH));
}

function zlibBounded(name: string, error: unknown, limit: number): unknown {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE' ? new DecompressionBoundError(name, limit) : error;
}

/** A codec on Node's zlib, which stops at `maxOutputLength` before allocating more. */
function zlibCodec(
  name: string,
  compress: (buffer: Buffer) => Promise<Buffer>,
  decompress: (buffer: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>,
): Codec {
  return {
    compress: (encoder) => compress(encoder.buffer),
    async decompress(buffer, options) {
      const limit = outputLimit(options);
      try {
        return await decompress(buffer, { maxOutputLength: limit });
      } catch (error) {
        throw zlibBounded(name, error, limit);
      }
    },
  };
}

const gzipCodec = zlibCodec(
  'gzip',
  (buffer) => gzip(buffer),
  (buffer, options) => gunzip(buffer, options),
);
const zstdCodec = zlibCodec(
  'zstd',
  (buffer) => zstdCompress(buffer),
  (buffer, options) => zstdDecompress(buffer, options),
);

// Snappy as Kafka's Java client writes it: xerial's framing (a magic header, then length-prefixed raw blocks). A
// stream without the header is one raw block, which xerial's reader (and so the broker) accepts too.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** A raw snappy block starts with its uncompressed length as a little-endian base-128 varint. */
function snappyLength(block: Buffer): number {
  let length = 0;
  for (let index = 0; index < 5 && index < block.length; index += 1) {
    const byte = block[index] ?? 0;
    length += (byte & 0x7f) * 2 ** (7 * index);
    if ((byte & 0x80) === 0) return length;
  }
  throw new Error('snappy block has no valid length');
}

function xerialBlocks(buffer: Buffer): Buffer[] {
  if (buffer.length < XERIAL_MAGIC.length || !buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return [buffer];
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error('snappy stream ends inside a block length');
    const size = buffer.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > buffer.length) throw new Error('snappy stream ends inside a block');
    blocks.push(buffer.subarray(at, at + size));
    at += size;
  }
  return blocks;
}

const snappyCodec: Codec = {
  async compress(encoder) {
    const { buffer } = encoder;
    const header = Buffer.alloc(XERIAL_HEADER_BYTES);
    XERIAL_MAGIC.copy(header);
    header.writeInt32BE(1, 8);
    header.writeInt32BE(1, 12);
    const parts: Buffer[] = [header];
    for (let at = 0; at < buffer.length; at += XERIAL_BLOCK_BYTES) {
      const block = await snappyCompress(buffer.subarray(at, at + XERIAL_BLOCK_BYTES));
      const length = Buffer.alloc(4);
      length.writeInt32BE(block.length);
      parts.push(length, block);
    }
    return Buffer.concat(parts);
  },
  async decompress(buffer, options) {
    const limit = outputLimit(options);
    const blocks = xerialBlocks(buffer);
    // The blocks declare their sizes: refuse before decompressing anything.
    const total = blocks.reduce((sum, block) => sum + snappyLength(block), 0);
    if (total > limit) throw new DecompressionBoundError('snappy', limit);
    const parts: Buffer[] = [];
    for (const block of blocks) parts.push((await snappyUncompress(block, { asBuffer: true })) as Buffer);
    return Buffer.concat(parts, total);
  },
};

const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE = 0x184d2a50;
const LZ4_BLOCK_MAX: Record<number, number> = { 4: 65_536, 5: 262_144, 6: 1_048_576, 7: 4_194_304 };

/**
 * The most an LZ4 frame sequence can decompress to, read from its headers: a compressed block yields at most the
 * frame's block maximum, a stored block its own size. Also the largest block maximum seen, the slack of that bound.
 */
export function lz4Bound(buffer: Buffer): { bytes: number; slack: number } {
  let at = 0;
  let bytes = 0;
  let slack = 0;
  const need = (count: number) => {
    if (at + count > buffer.length) throw new Error('lz4 frame ends early');
  };
  while (at < buffer.length) {
    need(4);
    const magic = buffer.readUInt32LE(at);
    at += 4;
    if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE) {
      need(4);
      at += 4 + buffer.readUInt32LE(at);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new Error('not an lz4 frame');
    need(2);
    const flags = buffer[at] ?? 0;
    const blockMax = LZ4_BLOCK_MAX[((buffer[at + 1] ?? 0) >> 4) & 0x07];
    if (flags >> 6 !== 1 || blockMax === undefined) throw new Error('lz4 frame header is not valid');
    slack = Math.max(slack, blockMax);
    at += 2 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0) + 1;
    const blockChecksum = flags & 0x10 ? 4 : 0;
    for (;;) {
      need(4);
      const word = buffer.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      bytes += word & 0x80000000 ? size : blockMax;
      at += size + blockChecksum;
    }
    at += flags & 0x04 ? 4 : 0;
  }
  return { bytes, slack };
}

const lz4Codec: Codec = {
  compress: (encoder) => compressFrame(encoder.buffer),
  async decompress(buffer, options) {
    const limit = outputLimit(options);
    const bound = lz4Bound(buffer);
    // The bound overstates by at most one block per frame: within that slack, decompress and measure.
    if (bound.bytes - bound.slack > limit) throw new DecompressionBoundError('lz4', limit);
    const output = await decompressFrame(buffer);
    if (output.length > limit) throw new DecompressionBoundError('lz4', limit);
    return output;
  },
};

/**
 * Registers the codecs with kafkajs and sets the bounds. kafkajs keeps both process-wide, so the process has one
 * setting of each: the worker's configuration. Calling it again only replaces the bounds.
 */
export function registerCodecs(bounds: DecompressionBounds): void {
  CompressionCodecs[CompressionTypes.GZIP] = () => gzipCodec;
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
  DecompressionLimits.maxBytesPerBatch = bounds.maxBatchBytes;
  DecompressionLimits.maxBytesPerFetch = Math.max(bounds.maxFetchBytes, bounds.maxBatchBytes);
}

export function compressionType(name: ProducerCompression): CompressionTypes {
  switch (name) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'zstd':
      return CompressionTypes.ZSTD;
  }
}
