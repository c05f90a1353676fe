import type { Outcome } from '../domain';
import { AppError } from '../errors';
import type { DeadLetter, DeadLetterSink } from '../kafka/dead-letters';
import { applyCommands, type ApplyDeps, type Delivery } from './apply-commands';
import { decodeMessage, type DecoderOptions } from './decode-message';
import { deliveryRef, type InboundMessage } from './inbound-message';

export interface ProcessDeps extends ApplyDeps {
  readonly decoder: DecoderOptions;
  readonly deadLetters: DeadLetterSink;
}

export type Tally = Record<Outcome | 'dead-lettered', number>;

/**
 * One slice of a partition: decode, apply, dead-letter what is bad. When it returns, every message's
 * outcome is durable and the caller may commit past the last one; when it throws, nothing may be committed.
 */
export async function processMessages(messages: readonly InboundMessage[], deps: ProcessDeps): Promise<Tally> {
  const now = deps.clock();
  const byRef = new Map<string, InboundMessage>();
  const deliveries: Delivery[] = [];
  const letters: DeadLetter[] = [];
  for (const message of messages) {
    const decoded = decodeMessage(message, deps.decoder, now);
    if (!decoded.ok) {
      letters.push({ message, error: decoded.error });
      continue;
    }
    const ref = deliveryRef(message);
    byRef.set(ref, message);
    deliveries.push({ command: decoded.command, deliveryRef: ref });
  }
  const decided = await applyCommands(deliveries, deps);
  const tally: Tally = { applied: 0, duplicate: 0, stale: 0, ignored: 0, rejected: 0, 'dead-lettered': 0 };
  for (const { delivery, decision } of decided) {
    tally[decision.outcome]++;
    const message = byRef.get(delivery.deliveryRef);
    if (decision.outcome === 'rejected' && message !== undefined) {
      letters.push({ message, error: new AppError('IDENTITY_MISMATCH', decision.audit.reason) });
    }
  }
  await deps.deadLetters.send(letters);
  tally['dead-lettered'] = letters.length;
  return tally;
}
