import { AsyncLocalStorage } from 'node:async_hooks';

import { AppError } from '../../../src/errors';
import type { InboundMessage } from '../../../src/kafka/inbound-message';
import { coalescing, type SliceHandler } from '../../../src/kafka/slice-handler';

function message(partition: number, offset: number): InboundMessage {
  return { topic: 't', partition, offset: String(offset), timestamp: '0', key: null, value: Buffer.from('{}'), headers: {} };
}

const sliceOf = (partition: number, count: number): InboundMessage[] =>
  Array.from({ length: count }, (_, index) => message(partition, index));

const live = () => true;

/** A handler that records each call's partitions and waits until released, so tests control what overlaps. */
function recording(fail: (messages: readonly InboundMessage[]) => Error | null = () => null) {
  const calls: number[][] = [];
  const gates: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handle: SliceHandler = async (messages) => {
    calls.push(messages.map((item) => item.partition));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((resolve) => gates.push(resolve));
    inFlight--;
    const error = fail(messages);
    if (error !== null) throw error;
    return {
      deadLetters: messages
        .filter((item) => item.offset === '0')
        .map((item) => ({ message: item, error: new AppError('INVALID_JSON', 'x') })),
    };
  };
  const releaseAll = async (): Promise<void> => {
    // Let pending calls start, release them, repeat until nothing is waiting.
    for (let round = 0; round < 20; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const gate of gates.splice(0)) gate();
    }
  };
  return { calls, handle, releaseAll, maxInFlight: () => maxInFlight };
}

describe('coalescing: one commit for the slices of several partitions', () => {
  it('hands slices submitted together to one call, and gives each slice only its own dead letters', async () => {
    const handler = recording();
    const submit = coalescing(handler.handle, { maxMessages: 100, inFlight: 1 });
    const results = Promise.all([submit(sliceOf(0, 2), live), submit(sliceOf(1, 1), live), submit(sliceOf(2, 3), live)]);
    await handler.releaseAll();
    const [a, b, c] = await results;
    expect(handler.calls).toEqual([[0, 0, 1, 2, 2, 2]]);
    expect(a?.deadLetters.map((letter) => letter.message.partition)).toEqual([0]);
    expect(b?.deadLetters.map((letter) => letter.message.partition)).toEqual([1]);
    expect(c?.deadLetters.map((letter) => letter.message.partition)).toEqual([2]);
  });

  it('never puts more than maxMessages in one call, never splits a slice, and keeps at most inFlight calls', async () => {
    const handler = recording();
    const submit = coalescing(handler.handle, { maxMessages: 4, inFlight: 2 });
    const results = Promise.all(
      [sliceOf(0, 3), sliceOf(1, 2), sliceOf(2, 2), sliceOf(3, 6), sliceOf(4, 1)].map((slice) => submit(slice, live)),
    );
    await handler.releaseAll();
    await results;
    expect(handler.calls).toEqual([[0, 0, 0], [1, 1, 2, 2], [3, 3, 3, 3, 3, 3], [4]]);
    expect(handler.maxInFlight()).toBe(2);
  });

  it('handles each slice of a failed call alone when the cause is the input: only the bad partition fails', async () => {
    const poison = new AppError('PROCESSING_FAILED', 'poison in partition 1');
    const handler = recording((messages) => (messages.some((item) => item.partition === 1) ? poison : null));
    const submit = coalescing(handler.handle, { maxMessages: 100, inFlight: 1 });
    const settled = Promise.allSettled([submit(sliceOf(0, 1), live), submit(sliceOf(1, 1), live), submit(sliceOf(2, 1), live)]);
    await handler.releaseAll();
    const [a, b, c] = await settled;
    expect(handler.calls).toEqual([[0, 1, 2], [0], [1], [2]]);
    expect(a.status).toBe('fulfilled');
    expect(b).toEqual({ status: 'rejected', reason: poison });
    expect(c.status).toBe('fulfilled');
  });

  it('fails every slice of a call at once when a dependency failed, without handling each again', async () => {
    const outage = new AppError('DEPENDENCY_UNAVAILABLE', 'mongodb away');
    const handler = recording(() => outage);
    const submit = coalescing(handler.handle, { maxMessages: 100, inFlight: 1 });
    const settled = Promise.allSettled([submit(sliceOf(0, 1), live), submit(sliceOf(1, 1), live)]);
    await handler.releaseAll();
    expect(await settled).toEqual([
      { status: 'rejected', reason: outage },
      { status: 'rejected', reason: outage },
    ]);
    expect(handler.calls).toEqual([[0, 1]]);
  });

  it('drops, unhandled, a waiting slice whose batch ended meanwhile (a rebalance)', async () => {
    const handler = recording();
    const submit = coalescing(handler.handle, { maxMessages: 1, inFlight: 1 });
    let batchLive = true;
    const first = submit(sliceOf(0, 1), live);
    const second = submit(sliceOf(1, 1), () => batchLive);
    await new Promise((resolve) => setImmediate(resolve));
    batchLive = false;
    await handler.releaseAll();
    expect(await first).not.toBeNull();
    expect(await second).toBeNull();
    expect(handler.calls).toEqual([[0]]);
  });

  it('runs a call in the async context of its first slice (its slice span)', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const submit = coalescing(
      () => {
        seen.push(storage.getStore());
        return Promise.resolve({ deadLetters: [] });
      },
      { maxMessages: 100, inFlight: 1 },
    );
    await Promise.all([
      storage.run('slice-a', () => submit(sliceOf(0, 1), live)),
      storage.run('slice-b', () => submit(sliceOf(1, 1), live)),
    ]);
    expect(seen).toEqual(['slice-a']);
  });
});
