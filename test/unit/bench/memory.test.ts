import { foldMemory, watchMemory, type MemorySample } from '../../../bench/memory';

const sample = (rss: number, heapUsed: number, external = 0): MemorySample => ({
  rss,
  heapTotal: heapUsed * 2,
  heapUsed,
  external,
  arrayBuffers: external,
});

describe('the memory report of a bench child', () => {
  it('keeps the first sample as idle, the sample of highest RSS whole, and each field’s own maximum', () => {
    const report = [sample(100, 10), sample(300, 20, 5), sample(200, 50, 1)].reduce(foldMemory, null);
    expect(report?.idle).toEqual(sample(100, 10));
    expect(report?.atPeakRss).toEqual(sample(300, 20, 5));
    expect(report?.max).toEqual({ rss: 300, heapTotal: 100, heapUsed: 50, external: 5, arrayBuffers: 5 });
    expect(report?.samples).toBe(3);
  });

  it('samples from the start until stopped, the last reading included', () => {
    jest.useFakeTimers();
    try {
      const readings = [sample(100, 10), sample(400, 40), sample(150, 15)];
      let next = 0;
      const watch = watchMemory(100, () => readings[Math.min(next++, readings.length - 1)] ?? sample(0, 0));
      jest.advanceTimersByTime(100);
      const report = watch.stop();
      jest.advanceTimersByTime(1_000);
      expect(report.idle.rss).toBe(100);
      expect(report.atPeakRss.rss).toBe(400);
      expect(report.samples).toBe(3);
      expect(next).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
