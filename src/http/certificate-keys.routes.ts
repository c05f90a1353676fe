import type { FastifyInstance } from 'fastify';

import { jwksOf } from '../proof/keys';
import { defineRoute, serve } from './api-spec';
import type { RouteDeps, RouteModule } from './server';

/** Where anyone finds the public keys that verify deletion certificates (docs/deletion-proof.md). */
export const CERTIFICATE_KEYS_PATH = '/.well-known/deletion-certificate-keys.json';

export const getCertificateKeys = defineRoute({
  method: 'GET',
  url: CERTIFICATE_KEYS_PATH,
  operationId: 'getCertificateKeys',
  tag: 'health',
  summary: 'The public keys that verify deletion certificates (a JSON Web Key Set)',
  description: 'Open: the keys are public by design. The signing key first, then retired ones (docs/deletion-proof.md).',
  access: 'open',
  request: {},
  responses: { 200: { description: 'The key set.', contentType: 'application/jwk-set+json' } },
});

/**
 * The public keys of deletion certificates as a JSON Web Key Set, open like the health checks: they are public by
 * design. The signing key first, then retired keys, so certificates signed before a rotation still verify.
 */
export const certificateKeysRoutes: RouteModule = (app: FastifyInstance, deps: RouteDeps): void => {
  const body = jwksOf(deps.config.certificateKeys);
  serve(app, deps, getCertificateKeys, (_input, _request, reply) =>
    reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300').send(body),
  );
};
