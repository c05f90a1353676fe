import type { Outcome } from '../domain';
import { AppError } from '../errors';
import type { DeadLetter, DeadLetterSink } from '../kafka/dead-letters';
import type { Metrics } from '../metrics/metrics';
import { applyCommands, type ApplyDeps, type Delivery } from './apply-commands';
import { decodeMessage, type DecoderOptions } from './decode-message';
import { deliveryRef, type InboundMessage } from './inbound-message';

export interface ProcessDeps extends ApplyDeps {
  readonly decoder: DecoderOptions;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: Metrics;
}

export type Tally = Record<Outcome | 'dead-lettered', number>;

/**
 * One slice of a partition: decode, apply, dead-letter what is bad. When it returns, every message's
 * outcome is durable and the caller may commit past the last one; when it throws, nothing may be committed.
 */
export async function processMessages(messages: readonly InboundMessage[], deps: ProcessDeps): Promise<Tally> {
  const now = deps.clock();
  const byRef = new Map<string, { message: InboundMessage; type: string }>();
  const deliveries: Delivery[] = [];
  const letters: (DeadLetter & { readonly type: string })[] = [];
  for (const message of messages) {
    const decoded = decodeMessage(message, deps.decoder, now);
    if (!decoded.ok) {
      letters.push({ message, error: decoded.error, type: decoded.type });
      continue;
    }
    const ref = deliveryRef(message);
    byRef.set(ref, { message, type: decoded.type });
    deliveries.push({ command: decoded.command, deliveryRef: ref });
  }
  const decided = await applyCommands(deliveries, deps);
  const tally: Tally = { applied: 0, duplicate: 0, stale: 0, ignored: 0, rejected: 0, 'dead-lettered': 0 };
  for (const { delivery, decision } of decided) {
    const source = byRef.get(delivery.deliveryRef);
    if (source === undefined) continue;
    if (decision.outcome === 'rejected') {
      letters.push({ message: source.message, error: new AppError('IDENTITY_MISMATCH', decision.audit.reason), type: source.type });
      deps.metrics.identityMismatch();
      continue;
    }
    tally[decision.outcome]++;
    deps.metrics.eventConsumed(source.message.topic, source.type, decision.outcome);
  }
  await deps.deadLetters.send(letters);
  tally['dead-lettered'] = letters.length;
  const done = deps.clock();
  for (const { message, type } of letters) deps.metrics.eventConsumed(message.topic, type, 'dead-lettered');
  for (const message of messages) {
    const produced = Number(message.timestamp);
    if (Number.isFinite(produced) && produced > 0) deps.metrics.eventLatency(message.topic, Math.max(0, done - produced) / 1000);
  }
  return tally;
}
