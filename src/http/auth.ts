import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../errors';
import type { AuthFailureLimiter } from './auth-failures';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares in constant time; hashing first hides the token's length as well. Exact: nothing is trimmed. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** What a request's `Authorization` header presents. */
export type Presented = { readonly kind: 'none' } | { readonly kind: 'malformed' } | { readonly kind: 'token'; readonly token: string };

const SCHEME = 'Bearer ';

/**
 * The token of an `Authorization: Bearer <token>` header, exactly as sent. A token with whitespace around it (or an
 * empty one) is malformed, never trimmed into a match: `<token> ` is not `<token>`. Another scheme presents none.
 */
export function bearer(request: FastifyRequest): Presented {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith(SCHEME)) return { kind: 'none' };
  const token = header.slice(SCHEME.length);
  return token === '' || /^\s|\s$/u.test(token) ? { kind: 'malformed' } : { kind: 'token', token };
}

/**
 * Admits a request bearing any of `tokens`, or throws what to answer (through the error table): UNAUTHORIZED with no
 * token or a malformed header, FORBIDDEN with a wrong one, TOO_MANY_AUTH_FAILURES (429, Retry-After) once its client
 * address has failed more often than `failures` allows. A valid token is always admitted.
 */
export function authenticate(request: FastifyRequest, tokens: readonly string[], failures: AuthFailureLimiter): void {
  const presented = bearer(request);
  if (presented.kind === 'none') throw new AppError('UNAUTHORIZED', 'a bearer token is required');
  // Check every token so timing does not tell which one nearly matched.
  if (presented.kind === 'token' && tokens.map((token) => tokenMatches(presented.token, token)).some(Boolean)) return;
  const verdict = failures.fail(request.ip);
  if (!verdict.ok) {
    throw new AppError(
      'TOO_MANY_AUTH_FAILURES',
      `too many failed authentications from this address; try again in ${verdict.retryAfterSeconds} s`,
      {
        context: { retryAfterSeconds: verdict.retryAfterSeconds },
      },
    );
  }
  if (presented.kind === 'malformed') {
    throw new AppError('UNAUTHORIZED', 'the Authorization header must be exactly "Bearer <token>", without surrounding whitespace');
  }
  throw new AppError('FORBIDDEN', 'the token is not valid for this route');
}

/**
 * A pre-handler that admits a request bearing any of the configured tokens (see authenticate).
 * With no token configured the route is off (404), never open.
 */
export function requireToken(tokens: readonly (string | undefined)[], settingNames: string, failures: AuthFailureLimiter) {
  const configured = tokens.filter((token): token is string => token !== undefined && token !== '');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (configured.length === 0) {
      await reply.code(404).send({ error: 'disabled', message: `this route is off: set ${settingNames} to enable it` });
      return;
    }
    authenticate(request, configured, failures);
  };
}
