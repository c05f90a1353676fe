import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares in constant time; hashing first hides the token's length as well. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim();
}

/**
 * A pre-handler that admits a request bearing any of the configured tokens.
 * With no token configured the route is off (404), never open.
 */
export function requireToken(tokens: readonly (string | undefined)[], settingNames: string) {
  const configured = tokens.filter((token): token is string => token !== undefined && token !== '');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (configured.length === 0) {
      await reply.code(404).send({ error: 'disabled', message: `this route is off: set ${settingNames} to enable it` });
      return;
    }
    const presented = bearer(request);
    if (presented === undefined) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a bearer token is required' });
      return;
    }
    // Check every token so timing does not tell which one nearly matched.
    const ok = configured.map((token) => tokenMatches(presented, token)).some(Boolean);
    if (!ok) await reply.code(403).send({ error: 'forbidden', message: 'the token is not valid for this route' });
  };
}
