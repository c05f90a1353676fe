import type { FastifyReply } from 'fastify';
import { z } from 'zod';

import { NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE } from '../control-characters';

import { problem } from './subscription.routes';

/** A query parameter holding a whole number in [min, max], `fallback` when absent. */
export function wholeNumber(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback);
}

/** Free text an operator gives (a reason, who they are): kept in the audit trail and shown back to other operators. */
export const operatorText = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(500, 'must be at most 500 characters')
  .regex(/\S/, 'must not be blank')
  .regex(NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE);

/** `Idempotency-Key`: like an eventId, 1 to 100 printable characters. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ error: 'must be sent once' })
    .regex(/^[\x20-\x7e]{1,100}$/, 'must be 1 to 100 printable ASCII characters')
    .optional(),
});

/** 400 with every problem and where it is (`body.reason: is required`). */
export async function badRequest(
  reply: FastifyReply,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): Promise<FastifyReply> {
  return await reply.code(400).send({ error: 'bad-request', message: problem(issues) });
}

export async function notFound(reply: FastifyReply, message: string): Promise<FastifyReply> {
  return await reply.code(404).send({ error: 'not-found', message });
}
