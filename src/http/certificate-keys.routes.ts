import type { FastifyInstance } from 'fastify';

import { jwksOf } from '../proof/keys';
import type { HttpDeps, RouteModule } from './server';

/** Where anyone finds the public keys that verify deletion certificates (docs/deletion-proof.md). */
export const CERTIFICATE_KEYS_PATH = '/.well-known/deletion-certificate-keys.json';

/**
 * The public keys of deletion certificates as a JSON Web Key Set, open like the health checks: they are public by
 * design. The signing key first, then retired keys, so certificates signed before a rotation still verify.
 */
export const certificateKeysRoutes: RouteModule = (app: FastifyInstance, deps: HttpDeps): void => {
  const body = jwksOf(deps.config.certificateKeys);
  app.get(CERTIFICATE_KEYS_PATH, async (_request, reply) =>
    reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300').send(body),
  );
};
