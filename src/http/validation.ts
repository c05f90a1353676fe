import type { FastifyReply } from 'fastify';
import { z } from 'zod';

import { NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE } from '../control-characters';

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
    .optional()
    .describe('A retry with the same key, action and subscription answers `outcome: "duplicate"` instead of acting twice.'),
});

/** Every issue with its place, `body.reason: is required; body.actor: is required`. */
export function problem(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || 'request'}: ${issue.message}`).join('; ');
}

/** What every refusal and failure answers (src/http/server.ts's error handler, badRequest, notFound, requireToken). */
export const problemSchema = z
  .object({
    error: z
      .string()
      .describe(
        'A label for the status: bad-request, unauthorized, forbidden, not-found, disabled (the route is off), conflict, unprocessable, too-many-requests, unavailable (retry after Retry-After), internal, …',
      ),
    message: z.string().describe('What went wrong, for a person; a 400 lists every problem with its place (`body.reason: is required`).'),
  })
  .describe('The status each error code answers is in docs/errors.md.')
  .meta({ id: 'Problem' });

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
