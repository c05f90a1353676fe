import { isDeepStrictEqual } from 'node:util';

import { z } from 'zod';

import { SESSION_COOKIE } from './admin-session';
import type { Access, RequestSchemas, ResponseSpec, RouteSpec } from './api-spec';
import { problemSchema } from './validation';

type Json = Record<string, unknown>;

/** Where the worker serves this document (src/http/openapi.routes.ts); docs/contract/openapi.json is the same text. */
export const OPENAPI_PATH = '/openapi.json';
/** The ops console and Bull Board: HTML for browsers, with a session cookie; not part of this document. */
export const CONSOLE_PREFIX = '/admin';
/** The version of the API this document describes (the `/v1` routes); not the package's version. */
const API_VERSION = '1.0.0';

const SECURITY: Readonly<Record<Access, readonly Json[]>> = {
  open: [],
  reader: [{ adminToken: [] }, { accessToken: [] }],
  operator: [{ adminToken: [] }],
};

const SECURITY_SCHEMES = {
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'ADMIN_TOKEN: every route. Sent as `Authorization: Bearer <token>`, compared exactly (whitespace around it answers 401). With no token configured, the routes that need one answer 404 `disabled`.',
  },
  accessToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'ACCESS_API_TOKEN: the read routes sign-in services call (GET /v1/subscriptions/{id} and its /access) only.',
  },
  adminSession: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: `The ops console's session (under ${CONSOLE_PREFIX}, not described here), issued by its sign-in form; its forms also carry a CSRF token and need this host's Origin. No route in this document accepts it.`,
  },
};

const retryAfter = { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } };
const problemBody = { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** The answers every route of a kind gives, named once under components.responses. */
const COMMON_RESPONSES: Readonly<Record<string, Json>> = {
  BadRequest: {
    description:
      'Bad input: every problem with its place (`path.`, `query.`, `headers.`, `body.`); unknown query parameters and body fields are refused.',
    content: problemBody,
  },
  Unauthorized: {
    description: 'No bearer token, or a malformed `Authorization` header.',
    headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } },
    content: problemBody,
  },
  Forbidden: { description: 'A token that is not valid for this route.', content: problemBody },
  TooManyAuthFailures: {
    description: 'Wrong tokens from this address beyond AUTH_FAILURE_BURST; a valid token is never refused.',
    headers: { 'Retry-After': retryAfter },
    content: problemBody,
  },
  Unavailable: {
    description: 'A transient fault (a dependency away, a subscription another process holds): try again shortly.',
    headers: { 'Retry-After': retryAfter },
    content: problemBody,
  },
  Internal: { description: 'A server fault; details only in the logs.', content: problemBody },
};

const ref = (name: string): Json => ({ $ref: `#/components/responses/${name}` });

/** zod's JSON Schema, with named schemas (`.meta({ id })`) moved to components.schemas and referred to there. */
class Schemas {
  readonly named: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
    const { $schema: _dialect, $defs, ...rest } = json;
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
      const moved = relink(definition) as Json;
      const known = this.named[id];
      if (known !== undefined && !isDeepStrictEqual(known, moved)) throw new Error(`two different schemas are named ${id}`);
      this.named[id] = moved;
    }
    return relink(rest) as Json;
  }
}

function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' ? inner.replace(/^#\/\$defs\//, '#/components/schemas/') : relink(inner),
    ]),
  );
}

/** `/v1/subscriptions/:id` → `/v1/subscriptions/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(request: RequestSchemas, schemas: Schemas): Json[] {
  const parts = [
    ['path', request.path],
    ['query', request.query],
    ['header', request.headers],
  ] as const;
  return parts.flatMap(([where, schema]) => {
    if (schema === undefined) return [];
    const json = schemas.convert(schema, 'input');
    const required = new Set((json.required ?? []) as string[]);
    return Object.entries((json.properties ?? {}) as Record<string, Json>).map(([name, property]) => {
      const { description, ...rest } = property;
      return {
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      };
    });
  });
}

function response(spec: ResponseSpec, schemas: Schemas): Json {
  const headers = Object.entries(spec.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]);
  const content =
    spec.schema !== undefined
      ? { [spec.contentType ?? 'application/json']: { schema: schemas.convert(spec.schema, 'output') } }
      : spec.contentType !== undefined
        ? { [spec.contentType]: spec.contentType.startsWith('text/') ? { schema: { type: 'string' } } : {} }
        : undefined;
  return {
    description: spec.description,
    ...(headers.length === 0 ? {} : { headers: Object.fromEntries(headers) }),
    ...(content === undefined ? {} : { content }),
  };
}

function responses(route: RouteSpec, schemas: Schemas): Json {
  const out: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) out[status] = response(spec, schemas);
  const { path, query, headers, body } = route.request;
  if (out['400'] === undefined && [path, query, headers, body].some((part) => part !== undefined)) out['400'] = ref('BadRequest');
  if (route.access !== 'open') {
    out['401'] = ref('Unauthorized');
    out['403'] = ref('Forbidden');
    const own = out['404'] as Json | undefined;
    out['404'] = {
      description: `${own === undefined ? '' : `${String(own.description)} Or: `}the route is off: no token is configured for it (\`"error": "disabled"\`).`,
      content: problemBody,
    };
    out['429'] = ref('TooManyAuthFailures');
    out['500'] = ref('Internal');
    out['503'] = ref('Unavailable');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function operation(route: RouteSpec, schemas: Schemas): Json {
  const params = parameters(route.request, schemas);
  const notes = [route.description, route.opsOnly === true ? 'Served only when OPS_ROUTES_ENABLED is true.' : undefined];
  const description = notes.filter((note) => note !== undefined).join(' ');
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(description === '' ? {} : { description }),
    security: SECURITY[route.access],
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(route.request.body === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: schemas.convert(route.request.body, 'input') } } } }),
    responses: responses(route, schemas),
  };
}

/**
 * The OpenAPI 3.1 document of `routes`, generated from the schemas that validate their requests and type their answers
 * (src/http/api-routes.ts lists them). `npm run docs:openapi` writes it to docs/contract/openapi.json.
 */
export function openApiDocument(routes: readonly RouteSpec[]): Json {
  const schemas = new Schemas();
  schemas.convert(problemSchema, 'output');
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.url)] ??= {});
    const method = route.method.toLowerCase();
    if (item[method] !== undefined) throw new Error(`${route.method} ${route.url} is declared twice`);
    item[method] = operation(route, schemas);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'billing-enforcer HTTP API',
      version: API_VERSION,
      description: `Generated from the zod schemas the worker validates requests with (npm run docs:openapi); served at ${OPENAPI_PATH}. docs/http-api.md says what each answer means. The console under ${CONSOLE_PREFIX} is for browsers and not described here.`,
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/', description: 'The worker that serves this document (HTTP_PORT, 8080 by default).' }],
    paths,
    components: { schemas: schemas.named, responses: COMMON_RESPONSES, securitySchemes: SECURITY_SCHEMES },
  };
}

/** The document as docs/contract/openapi.json holds it and the worker serves it. */
export function openApiText(routes: readonly RouteSpec[]): string {
  return `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;
}
