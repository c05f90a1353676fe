import { CompressionCodecs, CompressionTypes, KafkaJSNotImplemented } from 'kafkajs';

import { registerCodecs } from '../../src/kafka/codecs';

/**
 * LZ4 as a client that lacks it: it can still compress (a test's producer), not decompress (the worker in this
 * process). kafkajs keeps its codecs process-wide, so this is exactly the state kafkajs 2.2.4 is in without our codecs.
 * Anything in this process that builds a Kafka client (`createKafka`) registers the codecs again: run such commands in
 * a child process while this holds.
 */
export function forgetLz4Decompression(): void {
  const real = CompressionCodecs[CompressionTypes.LZ4]() as { compress: (encoder: { buffer: Buffer }) => Promise<Buffer> };
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: real.compress,
    // What kafkajs 2.2.4 throws for a codec it lacks (its types declare the constructor without the message it takes).
    decompress: () => Promise.reject(new (KafkaJSNotImplemented as new (message: string) => Error)('LZ4 compression not implemented')),
  });
}

/** Every codec back, with the worker's default bounds. */
export function restoreCodecs(): void {
  registerCodecs({ maxBatchBytes: 16 * 1_048_576, maxFetchBytes: 32 * 1_048_576 });
}
