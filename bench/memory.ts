/** One `process.memoryUsage()` reading, in bytes. */
export interface MemorySample {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/**
 * What a child's memory was made of: idle (before it starts consuming), the sample with the highest RSS, and each
 * field's own maximum (they need not peak together). heapTotal includes V8's young generation (both semi-spaces);
 * RSS beyond heapTotal + external is outside V8's heap (the binary and its libraries, malloc, thread stacks).
 */
export interface MemoryReport {
  readonly idle: MemorySample;
  readonly atPeakRss: MemorySample;
  readonly max: MemorySample;
  readonly samples: number;
}

export function sampleMemory(): MemorySample {
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers };
}

/** Folds one sample into a report (the first sample is the idle one). */
export function foldMemory(report: MemoryReport | null, sample: MemorySample): MemoryReport {
  if (report === null) return { idle: sample, atPeakRss: sample, max: sample, samples: 1 };
  const most = (field: keyof MemorySample) => Math.max(report.max[field], sample[field]);
  const max = {
    rss: most('rss'),
    heapTotal: most('heapTotal'),
    heapUsed: most('heapUsed'),
    external: most('external'),
    arrayBuffers: most('arrayBuffers'),
  };
  return { idle: report.idle, atPeakRss: sample.rss > report.atPeakRss.rss ? sample : report.atPeakRss, max, samples: report.samples + 1 };
}

/** Samples this process's memory every `everyMs` from now (now is idle) until `stop`, which returns the report. */
export function watchMemory(everyMs = 100, sample: () => MemorySample = sampleMemory): { stop: () => MemoryReport } {
  let report = foldMemory(null, sample());
  const timer = setInterval(() => (report = foldMemory(report, sample())), everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return foldMemory(report, sample());
    },
  };
}
