import { Writable } from 'node:stream';

import { AppError, type ErrorCode } from '../../../src/errors';
import { createLogger } from '../../../src/logging/logger';
import { buildHttpServer, type HttpDeps } from '../../../src/http/server';

// The error handler needs only the logger; the routes here throw what a repository or the domain would.
async function serverThrowing(error: unknown) {
  const logger = createLogger('fatal', {}, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const config = { AUTH_FAILURE_BURST: 20, AUTH_FAILURE_INTERVAL: 'PT3S' };
  const deps = { logger, config, apply: { clock: Date.now }, readiness: () => Promise.resolve({ checks: {} }) } as unknown as HttpDeps;
  return await buildHttpServer(deps, [
    (app) => {
      app.get('/boom', () => {
        throw error;
      });
    },
  ]);
}

async function answer(error: unknown) {
  const app = await serverThrowing(error);
  // Over a real socket: fastify's inject loads an ES module jest cannot require on Node 20.
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const response = await fetch(`${address}/boom`);
    const body = (await response.json()) as { error: string; message: string };
    return { status: response.status, retryAfter: response.headers.get('retry-after') ?? undefined, body };
  } finally {
    await app.close();
  }
}

describe('HTTP error handler', () => {
  it.each<[ErrorCode, number, string]>([
    ['NOT_FOUND', 404, 'not-found'],
    ['REFUSED', 409, 'conflict'],
    ['USAGE', 400, 'bad-request'],
    ['SCHEMA_VIOLATION', 422, 'unprocessable'],
  ])('answers %s with its status in the table (%i)', async (code, status, label) => {
    expect(await answer(new AppError(code, 'no subscription sub-1'))).toEqual({
      status,
      retryAfter: undefined,
      body: { error: label, message: 'no subscription sub-1' },
    });
  });

  it('answers a retriable code 503 with Retry-After', async () => {
    const outage = new AppError('DEPENDENCY_UNAVAILABLE', 'MongoDB: load failed', { cause: new Error('mongodb://user:pw@db') });
    expect(await answer(outage)).toEqual({
      status: 503,
      retryAfter: '5',
      body: { error: 'unavailable', message: 'DEPENDENCY_UNAVAILABLE: try again shortly' },
    });
  });

  it('answers a bug, or an error no adapter gave a code, 500 without details', async () => {
    for (const error of [new TypeError('x is undefined'), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })])
      expect(await answer(error)).toEqual({ status: 500, retryAfter: undefined, body: { error: 'internal', message: 'internal error' } });
    expect((await answer(new AppError('CONFIG_INVALID', 'MONGODB_URI=mongodb://u:p@h'))).body).toEqual({
      error: 'internal',
      message: 'internal error',
    });
  });
});
