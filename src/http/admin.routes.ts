import { randomBytes } from 'node:crypto';

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { parseDuration } from '../domain';
import {
  cookieValue,
  csrfMatches,
  csrfToken,
  issueSession,
  readSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  sessionCookie,
  type AdminSession,
} from './admin-session';
import { authenticate, bearer, tokenMatches } from './auth';
import { AttemptLimiter } from './console/attempt-limiter';
import { consoleRoutes } from './console/console.routes';
import type { ConsoleContext } from './console/layout';
import { loginPage } from './console/login-page';
import type { Html } from './html';
import type { RouteDeps, RouteModule } from './server';
import { operatorText } from './validation';

const BOARD_PATH = '/admin/queues';
/** A page section whose source is slower than this shows as unavailable rather than holding the page. */
const SECTION_TIMEOUT_MS = 5_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const loginForm = z.object({
  token: z.string().max(1_024).default(''),
  name: operatorText.pipe(z.string().max(64, 'must be at most 64 characters')),
  next: z.string().max(2_048).optional(),
});

/** Only a path on our own admin pages: never another origin (`//host`), never a header-breaking character. */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/admin(?:[/?#]|$)/.test(next) && !/[\\\s]/.test(next) ? next : '/admin';
}

const wantsHtml = (request: FastifyRequest): boolean => (request.headers.accept ?? '').includes('text/html');

async function sendHtml(reply: FastifyReply, status: number, render: (nonce: string) => Html): Promise<FastifyReply> {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    )
    .send(render(nonce).text);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * A state-changing request from a browser must come from one of our own pages: its Origin names this host. Browsers
 * send Origin on every POST, PUT, PATCH and DELETE; a missing or foreign one is a forged request (or a proxy that
 * rewrites Host, which must then pass it through).
 */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (typeof origin !== 'string' || host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

const forbidden = (reply: FastifyReply, message: string) => reply.code(403).send({ error: 'forbidden', message });

/**
 * Everything under `/admin`: a sign-in form, the ops console and Bull Board. All of it needs ADMIN_TOKEN, as a bearer
 * header (scripts) or as the session cookie the form hands out (browsers); with no token configured it is off (404).
 * A browser's state-changing request also needs our Origin and, on the console's forms, the session's CSRF token.
 */
export const adminRoutes: RouteModule = async (app: FastifyInstance, deps: RouteDeps): Promise<void> => {
  const clock = deps.apply.clock;
  const adminToken = deps.config.ADMIN_TOKEN;
  const limiter = new AttemptLimiter(deps.config.ADMIN_SIGNIN_ATTEMPTS, parseDuration(deps.config.ADMIN_SIGNIN_WINDOW), clock);
  const sessions = new WeakMap<FastifyRequest, AdminSession>();
  const off = (reply: FastifyReply) =>
    reply.code(404).send({ error: 'disabled', message: 'this route is off: set ADMIN_TOKEN to enable it' });

  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (adminToken === undefined) {
      await off(reply);
      return;
    }
    if (bearer(request).kind !== 'none') {
      // A script: no ambient credential a forged request could ride on, so neither Origin nor CSRF token applies.
      authenticate(request, [adminToken], deps.authFailures);
      return;
    }
    const cookie = cookieValue(request, SESSION_COOKIE);
    const session = cookie === undefined ? null : readSession(cookie, adminToken, clock());
    if (session !== null) {
      sessions.set(request, session);
      if (SAFE_METHODS.has(request.method)) return;
      if (!sameOrigin(request)) {
        request.log.warn({ ip: request.ip, origin: request.headers.origin, url: request.url }, 'admin request from another origin refused');
        await forbidden(reply, 'this request did not come from this console (Origin)');
      }
      return;
    }
    reply.header('www-authenticate', 'Bearer');
    // A person at a browser gets the sign-in form in place, and comes back here after it.
    if (request.method === 'GET' && wantsHtml(request))
      await sendHtml(reply, 401, (nonce) => loginPage({ next: safeNext(request.url) }, nonce));
    else await reply.code(401).send({ error: 'unauthorized', message: 'a bearer token or an admin session is required' });
  };

  /** Bull Board's own requests cannot carry our token; the console's forms must. */
  const requireCsrf = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const session = sessions.get(request);
    if (session === undefined || adminToken === undefined || SAFE_METHODS.has(request.method)) return;
    const presented = (request.body as { csrf?: unknown } | undefined)?.csrf;
    if (typeof presented !== 'string' || !csrfMatches(presented, session, adminToken)) {
      request.log.warn({ ip: request.ip, url: request.url }, 'admin form without a valid CSRF token refused');
      await forbidden(reply, 'this form is stale or was not sent by this console (CSRF token); reload the page and try again');
    }
  };

  const attempt = async <T>(section: string, read: () => Promise<T>): Promise<T | null> => {
    try {
      return await withTimeout(read(), SECTION_TIMEOUT_MS);
    } catch (error) {
      deps.logger.warn({ err: error, section }, 'ops page section unavailable');
      return null;
    }
  };

  const board = new FastifyAdapter();
  board.setBasePath(BOARD_PATH);
  // Read-only unless BULL_BOARD_DESTRUCTIVE: Bull Board then hides and refuses (405) every action that changes a queue
  // (obliterate, clean, empty, add, retry, promote, pause, scheduler edits). Timers are repaired by the reconciler.
  const readOnlyMode = !deps.config.BULL_BOARD_DESTRUCTIVE;
  createBullBoard({
    queues: deps.queues.map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode, ...(queue === deps.queue ? { description: 'subscription timers' } : {}) }),
    ),
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: 'billing-enforcer',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Console', url: '/admin' },
          { text: 'Log out', url: '/admin/logout' },
        ],
      },
    },
  });

  await app.register(
    async (admin) => {
      admin.addHook('onSend', (_request, reply, payload, done) => {
        // Bull Board's static assets keep the caching @fastify/static gives them; everything else is not stored.
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        // `same-origin`, not `no-referrer`: under no-referrer Chromium sends `Origin: null` on our own forms, which the
        // Origin check would refuse; other sites still learn nothing of our URLs.
        reply.header('x-frame-options', 'DENY').header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin');
        done(null, payload);
      });
      admin.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 2 * 1_048_576 },
        (_request, body, done) => {
          // Later values of a repeated field win; every value stays a string, checked by each route's schema.
          done(null, Object.fromEntries(new URLSearchParams(body.toString())));
        },
      );

      // Open: signing in and out.
      await admin.register((open, _options, done) => {
        open.get('/login', async (request, reply) => {
          if (adminToken === undefined) return off(reply);
          const next = safeNext((request.query as { next?: string } | undefined)?.next);
          return sendHtml(reply, 200, (nonce) => loginPage({ next }, nonce));
        });
        open.post('/login', async (request, reply) => {
          if (adminToken === undefined) return off(reply);
          if (!sameOrigin(request)) return forbidden(reply, 'sign in from this console’s own page (Origin)');
          const allowed = limiter.take(request.ip);
          if (!allowed.ok) {
            request.log.warn({ ip: request.ip }, 'admin sign-in rate limited');
            return reply
              .code(429)
              .header('retry-after', String(allowed.retryAfterSeconds))
              .send({ error: 'too-many-requests', message: `too many sign-in attempts; try again in ${allowed.retryAfterSeconds} s` });
          }
          const body = (request.body ?? {}) as Record<string, unknown>;
          const form = loginForm.safeParse(body);
          const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
          const name = typeof body.name === 'string' ? body.name.slice(0, 64) : '';
          if (!form.success && form.error.issues.some((issue) => issue.path[0] === 'name')) {
            return sendHtml(reply, 400, (nonce) =>
              loginPage({ next, name, error: 'Give your name: it is recorded with every action you take.' }, nonce),
            );
          }
          if (!form.success || !tokenMatches(form.data.token, adminToken)) {
            request.log.warn({ ip: request.ip }, 'admin sign-in refused');
            return sendHtml(reply, 401, (nonce) => loginPage({ next, name, error: 'That token was not accepted.' }, nonce));
          }
          const cookie = sessionCookie(request, issueSession(adminToken, clock(), form.data.name), SESSION_TTL_SECONDS);
          request.log.info({ ip: request.ip, operator: form.data.name }, 'admin signed in');
          return reply.code(303).header('set-cookie', cookie).header('location', next).send();
        });
        // GET too: Bull Board's menu can only link. Logging out is not worth forging.
        const logout = async (request: FastifyRequest, reply: FastifyReply) =>
          reply
            .code(303)
            .header('set-cookie', sessionCookie(request, '', 0))
            .header('location', '/admin/login')
            .send();
        open.get('/logout', logout);
        open.post('/logout', logout);
        done();
      });

      // Everything else needs the token or a session.
      await admin.register((guarded, _options, done) => {
        guarded.addHook('onRequest', guard);
        guarded.addHook('preHandler', requireCsrf);
        consoleRoutes(guarded, deps, {
          boardPath: BOARD_PATH,
          attempt,
          actor: (request) => sessions.get(request)?.name ?? null,
          sendPage: (reply, status, render) =>
            sendHtml(reply, status, (nonce) => {
              const session = sessions.get(reply.request) ?? null;
              const context: ConsoleContext = {
                session,
                csrf: session === null || adminToken === undefined ? '' : csrfToken(session, adminToken),
                boardPath: BOARD_PATH,
                nonce,
              };
              return render(context);
            }),
        });
        done();
      });

      // Bull Board in a scope of its own: its JSON requests are checked for Origin (the guard), not for our form token.
      await admin.register(async (guarded) => {
        guarded.addHook('onRequest', guard);
        await guarded.register(board.registerPlugin(), { prefix: '/queues' });
      });
    },
    { prefix: '/admin' },
  );
};
