import { crashCause, ProgressWatch } from '../../../src/kafka/consumer-health';

describe('ProgressWatch', () => {
  const owned = () => true;

  it('reports an owned partition whose committed offset stays put while it has lag, once the threshold has passed', () => {
    let now = 0;
    const watch = new ProgressWatch(10_000, () => now);
    watch.observe([{ topic: 't', partition: 1, committed: 5, lag: 3 }], owned);
    now = 9_999;
    watch.observe([{ topic: 't', partition: 1, committed: 5, lag: 4 }], owned);
    expect(watch.stalled('inbound')).toEqual([]);
    now = 10_000;
    expect(watch.stalled('inbound')).toEqual([
      expect.objectContaining({ consumer: 'inbound', cause: 'no-progress', topic: 't', partition: 1, offset: '5', sinceMs: 10_000 }),
    ]);
  });

  it('restarts the clock when the offset moves, and forgets a partition without lag or owned by another member', () => {
    let now = 0;
    const watch = new ProgressWatch(10_000, () => now);
    watch.observe([{ topic: 't', partition: 1, committed: 5, lag: 3 }], owned);
    now = 8_000;
    watch.observe([{ topic: 't', partition: 1, committed: 6, lag: 3 }], owned);
    now = 16_000;
    expect(watch.stalled('inbound')).toEqual([]);
    watch.observe([{ topic: 't', partition: 1, committed: 6, lag: 0 }], owned);
    now = 40_000;
    expect(watch.stalled('inbound')).toEqual([]);
    watch.observe([{ topic: 't', partition: 1, committed: 6, lag: 9 }], () => false);
    now = 80_000;
    expect(watch.stalled('inbound')).toEqual([]);
  });
});

describe('crashCause', () => {
  it('labels by the error class, bounded to a safe name', () => {
    expect(crashCause(Object.assign(new Error('x'), { name: 'KafkaJSProtocolError' }))).toBe('KafkaJSProtocolError');
    expect(crashCause(new TypeError('x'))).toBe('TypeError');
    expect(crashCause(Object.assign(new Error('x'), { name: 'evil"label\n' }))).toBe('Error');
    expect(crashCause('a string')).toBe('Error');
  });
});
