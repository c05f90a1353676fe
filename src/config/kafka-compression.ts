/** The codecs Kafka defines, by the names its `compression.type` uses; src/kafka/codecs.ts implements each. */
export const PRODUCER_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type ProducerCompression = (typeof PRODUCER_COMPRESSIONS)[number];

/** The decompression bounds must leave room for one whole record, and a fetch for one whole batch. */
export function decompressionProblems(settings: {
  readonly MAX_MESSAGE_BYTES: number;
  readonly KAFKA_MAX_BATCH_DECOMPRESSED_BYTES: number;
  readonly KAFKA_MAX_FETCH_DECOMPRESSED_BYTES: number;
}): string[] {
  const problems: string[] = [];
  if (settings.KAFKA_MAX_BATCH_DECOMPRESSED_BYTES < settings.MAX_MESSAGE_BYTES)
    problems.push('KAFKA_MAX_BATCH_DECOMPRESSED_BYTES: must be at least MAX_MESSAGE_BYTES (a batch holds whole records)');
  if (settings.KAFKA_MAX_FETCH_DECOMPRESSED_BYTES < settings.KAFKA_MAX_BATCH_DECOMPRESSED_BYTES)
    problems.push('KAFKA_MAX_FETCH_DECOMPRESSED_BYTES: must be at least KAFKA_MAX_BATCH_DECOMPRESSED_BYTES (a fetch holds whole batches)');
  return problems;
}
