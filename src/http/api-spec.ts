import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { z } from 'zod';

import { requireToken } from './auth';
import type { RouteDeps } from './server';
import { badRequest } from './validation';

/** Who may call a route: anyone; a reader (ADMIN_TOKEN or ACCESS_API_TOKEN); an operator (ADMIN_TOKEN only). */
export type Access = 'open' | 'reader' | 'operator';

/** A request's parts, each validated by its schema; an issue is reported under its part (`path.id`, `body.reason`). */
export interface RequestSchemas {
  readonly path?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
}

export interface ResponseSpec {
  readonly description: string;
  /** The JSON body; absent when the body is not JSON (`contentType`) or there is none. */
  readonly schema?: z.ZodType;
  readonly contentType?: string;
  /** Response headers the caller should read: name → what it says. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One route, declared once: fastify registers it from this (method, url, access) and validates its requests with these
 * schemas, and the OpenAPI document (src/http/openapi.ts) is generated from the same object.
 */
export interface RouteSpec<R extends RequestSchemas = RequestSchemas> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** As fastify writes it: `/v1/subscriptions/:id`. */
  readonly url: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  /** Served only when OPS_ROUTES_ENABLED is true (src/build-http.ts). */
  readonly opsOnly?: boolean;
  readonly request: R;
  /** The answers this route gives itself; the auth, validation and server-fault answers are added from `access`. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

/** What a request's parts are once their schemas accepted them. */
export type Parsed<R extends RequestSchemas> = { readonly [K in keyof R]-?: R[K] extends z.ZodType ? z.output<R[K]> : never };

export interface Route<R extends RequestSchemas = RequestSchemas> extends RouteSpec<R> {
  /** Validates every declared part at once; undeclared parts are not read. */
  parse(request: FastifyRequest): z.ZodSafeParseResult<Parsed<R>>;
}

export function defineRoute<R extends RequestSchemas>(spec: RouteSpec<R>): Route<R> {
  const parts: Record<string, z.ZodType> = {};
  for (const [part, schema] of Object.entries(spec.request)) if (schema instanceof z.ZodType) parts[part] = schema;
  const whole = z.object(parts);
  return {
    ...spec,
    parse: (request) =>
      whole.safeParse({
        path: request.params,
        query: request.query,
        headers: request.headers,
        body: request.body ?? {},
      }) as z.ZodSafeParseResult<Parsed<R>>,
  };
}

/** The fastify pre-handler that enforces `access` (requireToken: 401, 403, 429, or 404 when no token is configured). */
function guard(access: Access, deps: RouteDeps) {
  switch (access) {
    case 'open':
      return undefined;
    case 'reader':
      return requireToken([deps.config.ADMIN_TOKEN, deps.config.ACCESS_API_TOKEN], 'ADMIN_TOKEN or ACCESS_API_TOKEN', deps.authFailures);
    case 'operator':
      return requireToken([deps.config.ADMIN_TOKEN], 'ADMIN_TOKEN', deps.authFailures);
  }
}

export type Handler<R extends RequestSchemas> = (input: Parsed<R>, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Registers `route` on `app`: its access check, then its schemas (400 with every issue), then `handler` with the
 * parsed parts. The only way a JSON API route is registered, so what is served and what is documented cannot differ.
 */
export function serve<R extends RequestSchemas>(
  app: FastifyInstance,
  deps: RouteDeps,
  route: Route<R>,
  handler: Handler<R>,
  hooks: { readonly onResponse?: onResponseHookHandler } = {},
): void {
  const preHandler = guard(route.access, deps);
  app.route({
    method: route.method,
    url: route.url,
    ...(preHandler === undefined ? {} : { preHandler }),
    ...hooks,
    handler: async (request, reply) => {
      const parsed = route.parse(request);
      if (!parsed.success) return badRequest(reply, parsed.error.issues);
      return await handler(parsed.data, request, reply);
    },
  });
}
