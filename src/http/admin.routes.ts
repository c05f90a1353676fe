import { randomBytes } from 'node:crypto';

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { deletionForecast, forecastWindowEnd } from '../ops/deletion-forecast';
import { upcomingDeletions } from '../ops/upcoming-deletions';
import { loginPage, opsPage } from './admin-page';
import { cookieValue, issueSession, SESSION_COOKIE, SESSION_TTL_SECONDS, sessionCookie, sessionValid } from './admin-session';
import { bearer, tokenMatches } from './auth';
import type { Html } from './html';
import type { HttpDeps, RouteModule } from './server';

const BOARD_PATH = '/admin/queues';
const FORECAST_DAYS = 60;
const SOONEST = 10;
/** A page section whose source is slower than this shows as unavailable rather than holding the page. */
const SECTION_TIMEOUT_MS = 5_000;

const loginForm = z.object({ token: z.string().max(1_024).default(''), next: z.string().max(2_048).optional() });

/** Only a path on our own admin pages: never another origin (`//host`), never a header-breaking character. */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/admin(?:[/?#]|$)/.test(next) && !/[\\\s]/.test(next) ? next : '/admin';
}

const wantsHtml = (request: FastifyRequest): boolean => (request.headers.accept ?? '').includes('text/html');

async function sendPage(reply: FastifyReply, status: number, render: (nonce: string) => Html): Promise<FastifyReply> {
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
 * Everything under `/admin`: a sign-in form, the ops page and Bull Board. All of it needs ADMIN_TOKEN, as a bearer
 * header (scripts) or as the session cookie the form hands out (browsers); with no token configured it is off (404).
 */
export const adminRoutes: RouteModule = async (app: FastifyInstance, deps: HttpDeps): Promise<void> => {
  const clock = deps.apply.clock;
  const adminToken = deps.config.ADMIN_TOKEN;
  const off = (reply: FastifyReply) =>
    reply.code(404).send({ error: 'disabled', message: 'this route is off: set ADMIN_TOKEN to enable it' });

  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (adminToken === undefined) {
      await off(reply);
      return;
    }
    const presented = bearer(request);
    if (presented !== undefined) {
      if (!tokenMatches(presented, adminToken))
        await reply.code(403).send({ error: 'forbidden', message: 'the token is not valid for this route' });
      return;
    }
    const session = cookieValue(request, SESSION_COOKIE);
    if (session !== undefined && sessionValid(session, adminToken, clock())) return;
    reply.header('www-authenticate', 'Bearer');
    // A person at a browser gets the sign-in form in place, and comes back here after it.
    if (request.method === 'GET' && wantsHtml(request))
      await sendPage(reply, 401, (nonce) => loginPage({ next: safeNext(request.url) }, nonce));
    else await reply.code(401).send({ error: 'unauthorized', message: 'a bearer token or an admin session is required' });
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
  createBullBoard({
    queues: deps.queues.map((queue) => new BullMQAdapter(queue, queue === deps.queue ? { description: 'subscription timers' } : {})),
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: 'billing-enforcer',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Ops page', url: '/admin' },
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
        reply.header('x-frame-options', 'DENY').header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
        done(null, payload);
      });

      // Open: signing in and out.
      await admin.register((open, _options, done) => {
        open.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8_192 }, (_request, body, done) => {
          done(null, Object.fromEntries(new URLSearchParams(body.toString())));
        });
        open.get('/login', async (request, reply) => {
          if (adminToken === undefined) return off(reply);
          const next = safeNext((request.query as { next?: string } | undefined)?.next);
          return sendPage(reply, 200, (nonce) => loginPage({ next }, nonce));
        });
        open.post('/login', async (request, reply) => {
          if (adminToken === undefined) return off(reply);
          const form = loginForm.safeParse(request.body ?? {});
          const next = safeNext(form.success ? form.data.next : undefined);
          if (!form.success || !tokenMatches(form.data.token, adminToken)) {
            request.log.warn({ ip: request.ip }, 'admin sign-in refused');
            return sendPage(reply, 401, (nonce) => loginPage({ next, error: 'That token was not accepted.' }, nonce));
          }
          const cookie = sessionCookie(request, issueSession(adminToken, clock()), SESSION_TTL_SECONDS);
          return reply.code(303).header('set-cookie', cookie).header('location', next).send();
        });
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
      await admin.register(async (guarded) => {
        guarded.addHook('onRequest', guard);

        guarded.get('/', async (_request, reply) => {
          const now = clock();
          const [statuses, forecast, soonest, deadLetters, queues] = await Promise.all([
            attempt('subscriptions', () => deps.subscriptions.countByStatus()),
            attempt('forecast', () => deletionForecast(deps.subscriptions, now, FORECAST_DAYS)),
            attempt('soonest', async () => {
              const page = await upcomingDeletions(deps.subscriptions, {
                dueBefore: forecastWindowEnd(now, FORECAST_DAYS),
                limit: SOONEST,
              });
              return page.items;
            }),
            attempt('dead-letters', () => deps.deadLetterCount()),
            Promise.all(
              deps.queues.map(async (queue) => ({ name: queue.name, counts: await attempt('queue', () => queue.getJobCounts()) })),
            ),
          ]);
          const view = {
            now,
            statuses,
            forecast,
            soonest,
            deadLetters: { topic: deps.config.TOPIC_DLQ, count: deadLetters },
            queues,
            timerQueue: deps.queue.name,
            boardPath: BOARD_PATH,
          };
          return sendPage(reply, 200, (nonce) => opsPage(view, nonce));
        });

        await guarded.register(board.registerPlugin(), { prefix: '/queues' });
      });
    },
    { prefix: '/admin' },
  );
};
