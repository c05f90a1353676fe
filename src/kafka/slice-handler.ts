import { AsyncResource } from 'node:async_hooks';

import { classOf } from '../errors';
import type { DeadLetter } from './dead-letters';
import type { InboundMessage } from './inbound-message';

/** What a slice's handler reports: the messages it refused, to be dead-lettered before the offsets move past them. */
export interface SliceResult {
  readonly deadLetters: readonly DeadLetter[];
}

/** Handles messages of one partition's slice, or of several partitions' at once (see `coalescing`). */
export type SliceHandler = (messages: readonly InboundMessage[]) => Promise<SliceResult>;

export interface CoalescerOptions {
  /** Messages one call of the handler may carry, from one partition or several (a slice is never split). */
  readonly maxMessages: number;
  /** Calls of the handler in flight at once. */
  readonly inFlight: number;
}

/** Hands a partition's slice over; null when it was dropped unhandled because `live` said its batch is over (a rebalance). */
export type SliceSubmit = (slice: readonly InboundMessage[], live: () => boolean) => Promise<SliceResult | null>;

interface Waiting {
  readonly slice: readonly InboundMessage[];
  readonly live: () => boolean;
  /** The submitter's async context (its slice span): the call that carries this slice first runs in it. */
  readonly scope: AsyncResource;
  readonly resolve: (result: SliceResult | null) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit across partitions. A fetch hands every partition's batch over at once; handled one slice per partition,
 * a low rate pays a whole commit (its reads, writes and round trips) per one or two messages, and the store saturates
 * on fixed costs. Slices that wait together are handled in one call instead, up to `maxMessages`, with at most
 * `inFlight` calls at once; each slice still gets its own result, so the runner resolves, pauses and dead-letters per
 * partition as before. Order within a partition holds: a partition submits its next slice only once this one returned.
 *
 * When a shared call fails for a cause that is not a dependency's (bad input, a bug), each of its slices is handled
 * again alone, so one partition's poison message never fails, isolates or dead-letters another's. A dependency's
 * failure (retriable) fails every slice of the call at once: alone, each would only wait on the same outage. Handling a
 * slice again is safe: the handler is idempotent (duplicates change nothing).
 */
export function coalescing(handle: SliceHandler, options: CoalescerOptions): SliceSubmit {
  const waiting: Waiting[] = [];
  let running = 0;
  let scheduled = false;

  const settleAlone = async (item: Waiting): Promise<void> => {
    try {
      item.resolve(await handle(item.slice));
    } catch (error) {
      item.reject(error);
    }
  };

  const call = async (group: readonly Waiting[]): Promise<void> => {
    try {
      const { deadLetters } = await handle(group.flatMap((item) => item.slice));
      for (const item of group) {
        const own = new Set(item.slice);
        item.resolve({ deadLetters: deadLetters.filter((letter) => own.has(letter.message)) });
      }
    } catch (error) {
      if (group.length === 1 || classOf(error).retriable) {
        for (const item of group) item.reject(error);
        return;
      }
      for (const item of group) await settleAlone(item);
    }
  };

  /**
   * Takes waiting slices, oldest first, up to the message bound (at least one). A slice whose batch is over meanwhile
   * is dropped: a rebalance waits for every batch handed out, and its new owner gets it again.
   */
  const take = (): Waiting[] => {
    const group: Waiting[] = [];
    let messages = 0;
    for (let next = waiting[0]; next !== undefined; next = waiting[0]) {
      if (!next.live()) {
        waiting.shift();
        next.resolve(null);
        next.scope.emitDestroy();
        continue;
      }
      if (group.length > 0 && messages + next.slice.length > options.maxMessages) break;
      group.push(next);
      messages += next.slice.length;
      waiting.shift();
    }
    return group;
  };

  const pump = (): void => {
    scheduled = false;
    while (running < options.inFlight && waiting.length > 0) {
      const group = take();
      const first = group[0];
      if (first === undefined) return;
      running++;
      void first.scope
        .runInAsyncScope(() => call(group))
        .finally(() => {
          for (const item of group) item.scope.emitDestroy();
          running--;
          pump();
        });
    }
  };

  return (slice, live) =>
    new Promise<SliceResult | null>((resolve, reject) => {
      waiting.push({ slice, live, scope: new AsyncResource('billing-enforcer.slice'), resolve, reject });
      // Wait one turn of the event loop: the other partitions of the same fetch submit theirs meanwhile.
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
