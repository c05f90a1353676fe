import { sliceTimes } from '../../../bench/slice-times';

const line = (ms: number, partitions: string[], applied: number, ignored: number): string =>
  JSON.stringify({ level: 20, msg: 'slice applied', partitions, tally: { applied, ignored, 'dead-lettered': 0 }, ms });

describe('slice times from a worker log', () => {
  it('summarises the calls, their messages and partitions, skipping other lines', () => {
    const log = [
      line(10, ['a/0'], 2, 0),
      '{"level":30,"msg":"consumer started"}',
      'not json "slice applied"',
      line(30, ['a/0', 'b/1', 'c/2'], 3, 1),
      JSON.stringify({ msg: 'slice applied', partitions: ['a/0'] }),
      line(20, ['b/1', 'c/2'], 0, 0),
      '',
    ].join('\n');
    const times = sliceTimes(log);
    expect(times.calls).toBe(3);
    expect(times.ms).toMatchObject({ p50: 20, max: 30 });
    expect(times.messagesPerCall).toBe(2);
    expect(times.partitionsPerCall).toBe(2);
  });

  it('says there were no calls rather than inventing figures', () => {
    const times = sliceTimes('{"msg":"other"}\n');
    expect(times.calls).toBe(0);
    expect(times.messagesPerCall).toBeNaN();
  });
});
