import type { Outcome, RejectionCode } from '../domain';
import { AppError } from '../errors';
import type { DeadLetter } from '../kafka/dead-letters';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import type { SliceHandler } from '../kafka/slice-handler';
import { applyCommands, type ApplyDeps, type Delivery } from './apply-commands';
import { decodeMessage, type DecoderOptions } from './decode-message';
import { deliveryRef, type InboundMessage } from '../kafka/inbound-message';
import { messageOutcome } from '../tracing/slice-spans';

export interface ProcessDeps extends ApplyDeps {
  readonly decoder: DecoderOptions;
  readonly metrics: Metrics;
}

export type Tally = Record<Outcome | 'dead-lettered', number>;

/** The metric each kind of rejection counts in (a new rejection code must say which). */
const COUNT_REJECTION: Readonly<Record<RejectionCode, (metrics: Metrics) => void>> = {
  IDENTITY_MISMATCH: (metrics) => {
    metrics.identityMismatch();
  },
};

/**
 * One slice of a partition: decode, apply, and say what is bad. When it returns, every applied message's outcome is
 * durable; the runner dead-letters the refused ones, then commits past the slice. When it throws, nothing may be
 * committed. It never produces to Kafka itself.
 */
export async function processMessages(
  messages: readonly InboundMessage[],
  deps: ProcessDeps,
): Promise<{ tally: Tally; deadLetters: readonly DeadLetter[] }> {
  const now = deps.clock();
  const byRef = new Map<string, { message: InboundMessage; type: string }>();
  const deliveries: Delivery[] = [];
  const letters: (DeadLetter & { readonly type: string })[] = [];
  for (const message of messages) {
    const decoded = decodeMessage(message, deps.decoder, now);
    if (!decoded.ok) {
      letters.push({ message, error: decoded.error, type: decoded.type });
      messageOutcome(message.trace, 'dead-lettered', decoded.error.code);
      continue;
    }
    const ref = deliveryRef(message);
    byRef.set(ref, { message, type: decoded.type });
    deliveries.push({ command: decoded.command, deliveryRef: ref, traceparent: message.trace?.traceparent });
  }
  const decided = await applyCommands(deliveries, deps);
  const tally: Tally = { applied: 0, duplicate: 0, stale: 0, ignored: 0, rejected: 0, 'dead-lettered': 0 };
  for (const { delivery, decision } of decided) {
    const source = byRef.get(delivery.deliveryRef);
    if (source === undefined) continue;
    if (decision.outcome === 'rejected') {
      // The state machine says why it refused: the letter carries that code and the audited reason.
      const code = decision.rejection;
      letters.push({ message: source.message, error: new AppError(code, decision.audit.reason), type: source.type });
      messageOutcome(source.message.trace, 'dead-lettered', code);
      COUNT_REJECTION[code](deps.metrics);
      continue;
    }
    messageOutcome(source.message.trace, decision.outcome);
    tally[decision.outcome]++;
    deps.metrics.eventConsumed(source.message.topic, source.type, decision.outcome);
  }
  tally['dead-lettered'] = letters.length;
  const done = deps.clock();
  for (const { message, type } of letters) deps.metrics.eventConsumed(message.topic, type, 'dead-lettered');
  for (const message of messages) {
    const produced = Number(message.timestamp);
    if (Number.isFinite(produced) && produced > 0) deps.metrics.eventLatency(message.topic, Math.max(0, done - produced) / 1000);
  }
  return { tally, deadLetters: letters.map(({ message, error }) => ({ message, error })) };
}

/**
 * The inbound runner's handler: a slice through `processMessages`; its refusals go back to the runner, which
 * dead-letters them before the offsets move past them.
 */
export function inboundSliceHandler(deps: ProcessDeps, logger: Logger): SliceHandler {
  return async (messages) => {
    const startedAt = deps.clock();
    const { tally, deadLetters } = await processMessages(messages, deps);
    if (logger.isLevelEnabled('debug')) {
      // One call may carry several partitions' slices (slice-handler.ts): name each once.
      const partitions = [...new Set(messages.map((message) => `${message.topic}/${message.partition}`))];
      logger.debug({ partitions, tally, ms: deps.clock() - startedAt }, 'slice applied');
    }
    return { deadLetters };
  };
}
