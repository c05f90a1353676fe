import { Writable } from 'node:stream';

import type { FastifyRequest } from 'fastify';

import { AuthFailureLimiter, MAX_TRACKED_CLIENTS } from '../../../src/http/auth-failures';
import { bearer, requireToken } from '../../../src/http/auth';
import { createLogger } from '../../../src/logging/logger';
import { buildHttpServer, type HttpDeps } from '../../../src/http/server';

const TOKEN = 'a31d96fc5ccd44059fc6c90975d292874788576ac19f1a96';
const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;

describe('bearer', () => {
  it('takes the token exactly as sent', () => {
    expect(bearer(request(`Bearer ${TOKEN}`))).toEqual({ kind: 'token', token: TOKEN });
  });

  it.each([
    ['a trailing space', `Bearer ${TOKEN} `],
    ['a trailing tab', `Bearer ${TOKEN}\t`],
    ['a trailing newline', `Bearer ${TOKEN}\n`],
    ['a trailing no-break space', `Bearer ${TOKEN}\u00a0`],
    ['a second space after the scheme', `Bearer  ${TOKEN}`],
    ['a leading tab', `Bearer \t${TOKEN}`],
    ['no token', 'Bearer '],
  ])('calls a header with %s malformed, never trimming it into a match', (_name, header) => {
    expect(bearer(request(header))).toEqual({ kind: 'malformed' });
  });

  it('finds no bearer token in no header or another scheme', () => {
    expect(bearer(request())).toEqual({ kind: 'none' });
    expect(bearer(request(`Basic ${TOKEN}`))).toEqual({ kind: 'none' });
  });
});

describe('AuthFailureLimiter', () => {
  const limits = { burst: 3, intervalMs: 10_000 };

  it('allows a burst of failures, then one per interval, and says how long to wait', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter(limits, () => now);
    expect([1, 2, 3, 4].map(() => limiter.fail('10.0.0.1'))).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: false, retryAfterSeconds: 10 },
    ]);
    now = 4_000;
    expect(limiter.fail('10.0.0.1')).toEqual({ ok: false, retryAfterSeconds: 6 });
    now = 10_000;
    expect(limiter.fail('10.0.0.1')).toEqual({ ok: true });
    expect(limiter.fail('10.0.0.1')).toEqual({ ok: false, retryAfterSeconds: 10 });
    // A long quiet spell refills the burst, never beyond it.
    now = 1_000_000;
    expect([1, 2, 3, 4].map(() => limiter.fail('10.0.0.1').ok)).toEqual([true, true, true, false]);
  });

  it('counts each client address apart', () => {
    const limiter = new AuthFailureLimiter(limits, () => 0);
    for (let n = 0; n < 3; n++) limiter.fail('10.0.0.1');
    expect(limiter.fail('10.0.0.1').ok).toBe(false);
    expect(limiter.fail('10.0.0.2').ok).toBe(true);
  });

  it('tracks a bounded number of addresses, forgetting the least recently failing first', () => {
    const limiter = new AuthFailureLimiter(limits, () => 0);
    for (let n = 0; n < 3; n++) limiter.fail('hammering');
    for (let n = 0; n < MAX_TRACKED_CLIENTS * 2; n++) {
      limiter.fail(`client-${n}`);
      if (n % 1_000 === 0) limiter.fail('hammering');
    }
    expect(limiter.size).toBe(MAX_TRACKED_CLIENTS);
    // Still known (it failed recently), still limited.
    expect(limiter.fail('hammering').ok).toBe(false);
  });
});

describe('requireToken over HTTP', () => {
  async function server(clock: () => number) {
    const logger = createLogger('fatal', {}, new Writable({ write: (_chunk, _encoding, done) => done() }));
    const config = { AUTH_FAILURE_BURST: 20, AUTH_FAILURE_INTERVAL: 'PT3S' };
    const deps = { logger, config, apply: { clock }, readiness: () => Promise.resolve({}) } as unknown as HttpDeps;
    const app = await buildHttpServer(deps, [
      (routes, routeDeps) => {
        routes.get('/guarded', { preHandler: requireToken([TOKEN], 'ADMIN_TOKEN', routeDeps.authFailures) }, () => ({ ok: true }));
      },
    ]);
    // Over a real socket: fastify's inject loads an ES module jest cannot require on Node 20.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const get = async (authorization?: string) => {
      const response = await fetch(`${address}/guarded`, { headers: authorization === undefined ? {} : { authorization } });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
    };
    return { app, get };
  }

  it('refuses a token with whitespace around it with 401, and admits the exact one', async () => {
    const { app, get } = await server(Date.now);
    try {
      // fetch strips the header's own leading and trailing spaces and tabs; these survive to the server.
      for (const header of [`Bearer  ${TOKEN}`, `Bearer ${TOKEN}\u00a0`, `Bearer \u00a0${TOKEN}`]) {
        const answer = await get(header);
        expect({ header, status: answer.status }).toEqual({ header, status: 401 });
        expect(answer.body).toEqual({
          error: 'unauthorized',
          message: 'the Authorization header must be exactly "Bearer <token>", without surrounding whitespace',
        });
      }
      expect((await get(`Bearer ${TOKEN}`)).status).toBe(200);
      expect((await get()).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('answers 200 wrong tokens with 20 refusals, then 429 with Retry-After; the right token still passes', async () => {
    let now = Date.parse('2026-06-01T12:00:00Z');
    const { app, get } = await server(() => now);
    try {
      const answers = [];
      for (let n = 0; n < 200; n++) answers.push(await get(`Bearer wrong-${n}`));
      expect(answers.slice(0, 20).map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 403));
      expect(answers.slice(20).map((answer) => answer.status)).toEqual(Array.from({ length: 180 }, () => 429));
      expect(answers[20]).toEqual({
        status: 429,
        retryAfter: '3',
        body: { error: 'too-many-requests', message: 'too many failed authentications from this address; try again in 3 s' },
      });
      // A request that authenticates is neither refused nor counted.
      for (let n = 0; n < 5; n++) expect((await get(`Bearer ${TOKEN}`)).status).toBe(200);
      // One more failure is allowed per interval.
      now += 3_000;
      expect((await get('Bearer wrong')).status).toBe(403);
      expect((await get('Bearer wrong')).status).toBe(429);
    } finally {
      await app.close();
    }
  });
});
