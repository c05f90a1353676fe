import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

import { httpModules } from '../../../src/build-http';
import { loadConfig, policyOf } from '../../../src/config/config';
import { createLogger } from '../../../src/logging/logger';
import { API_ROUTES, apiDocumentText } from '../../../src/http/api-routes';
import { CONSOLE_PREFIX, openApiDocument, openApiPath } from '../../../src/http/openapi';
import { buildHttpServer, type HttpDeps, type RouteModule } from '../../../src/http/server';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every place the document breaks OpenAPI 3.1's structure rules we rely on; empty when it is well-formed. */
function structureProblems(doc: Json): string[] {
  const found: string[] = [];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) found.push(`openapi is ${String(doc.openapi)}, not 3.1.x`);
  const info = doc.info as Json | undefined;
  if (typeof info?.title !== 'string' || typeof info.version !== 'string') found.push('info needs a title and a version');
  const components = (doc.components ?? {}) as Json;
  const schemes = (components.securitySchemes ?? {}) as Json;
  const operationIds = new Set<string>();
  for (const [route, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    if (!route.startsWith('/')) found.push(`${route}: a path starts with /`);
    const templated = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      const where = `${method.toUpperCase()} ${route}`;
      if (!METHODS.includes(method)) found.push(`${where}: not an HTTP method`);
      const id = op.operationId as string;
      if (operationIds.has(id)) found.push(`${where}: operationId ${id} used twice`);
      operationIds.add(id);
      const params = (op.parameters ?? []) as Json[];
      const declared = params.filter((param) => param.in === 'path').map((param) => param.name);
      for (const name of templated) if (!declared.includes(name)) found.push(`${where}: path parameter {${name}} is not declared`);
      for (const name of declared)
        if (!templated.includes(name as string)) found.push(`${where}: parameter ${String(name)} is not in the path`);
      for (const param of params) {
        if (param.in === 'path' && param.required !== true) found.push(`${where}: path parameter ${String(param.name)} must be required`);
        if (param.schema === undefined) found.push(`${where}: parameter ${String(param.name)} has no schema`);
      }
      const responses = (op.responses ?? {}) as Json;
      if (Object.keys(responses).length === 0) found.push(`${where}: no responses`);
      for (const status of Object.keys(responses)) if (!/^[1-5]\d\d$|^default$/.test(status)) found.push(`${where}: status ${status}`);
      for (const requirement of (op.security ?? []) as Json[])
        for (const name of Object.keys(requirement))
          if (schemes[name] === undefined) found.push(`${where}: security scheme ${name} is not declared`);
    }
  }
  return [...found, ...danglingRefs(doc)];
}

/** Every `$ref` that does not resolve to a place in the document. */
function danglingRefs(doc: Json): string[] {
  const resolve = (pointer: string): unknown =>
    pointer
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, part) => (typeof at === 'object' && at !== null ? (at as Json)[part] : undefined), doc);
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref' && (typeof inner !== 'string' || !inner.startsWith('#/') || resolve(inner) === undefined))
          found.push(`$ref ${String(inner)}`);
        else walk(inner);
      }
    }
  };
  walk(doc);
  return found;
}

/** The routes fastify registers for the worker's modules, as `METHOD /openapi/{path}`; HEAD is fastify's own for each GET. */
async function registeredRoutes(opsRoutesEnabled: boolean, extra: readonly RouteModule[] = []): Promise<string[]> {
  const config = loadConfig({
    KAFKA_BROKERS: 'kafka:9092',
    MONGODB_URI: 'mongodb://mongo/db',
    REDIS_URL: 'redis://redis:6379',
    ADMIN_TOKEN: 'unit-admin-token-0123456789abcdef',
  });
  const logger = createLogger('fatal', {}, new Writable({ write: (_chunk, _encoding, done) => done() }));
  // Registration reads only these; no route is called.
  const deps = {
    config,
    logger,
    queues: [],
    apply: { clock: Date.now, policy: policyOf(config) },
    inbound: { topics: [], decoder: {} },
    partitions: { health: () => [], skips: {} },
    metrics: { contentType: 'text/plain', render: () => Promise.resolve('') },
    readiness: () => Promise.resolve({ checks: {} }),
  } as unknown as HttpDeps;
  const seen: string[] = [];
  const collect: RouteModule = (app) => {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') seen.push(`${method} ${openApiPath(route.url)}`);
    });
  };
  const app = await buildHttpServer(deps, [collect, ...httpModules(opsRoutesEnabled), ...extra]);
  await app.close();
  return seen;
}

const apiRoutes = (registered: readonly string[]): string[] =>
  registered.filter((route) => !route.split(' ')[1]?.startsWith(CONSOLE_PREFIX)).sort();

const operations = (doc: Json): string[] =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([route, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${route}`),
  );

describe('the OpenAPI document (docs/contract/openapi.json)', () => {
  const doc = openApiDocument(API_ROUTES);

  it('is up to date with the route declarations (regenerate with npm run docs:openapi)', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'contract', 'openapi.json');
    expect(fs.readFileSync(file, 'utf8')).toBe(apiDocumentText());
  });

  it('is well-formed OpenAPI 3.1: path parameters declared, operation ids unique, every $ref resolves', () => {
    expect(structureProblems(doc)).toEqual([]);
  });

  it.each([true, false])('lists every JSON route fastify registers, and only those (OPS_ROUTES_ENABLED=%s)', async (ops) => {
    const registered = await registeredRoutes(ops);
    // With ops routes on, the console is registered too, and left out on purpose.
    expect(apiRoutes(registered).length < registered.length).toBe(ops);
    const served = API_ROUTES.filter((route) => ops || route.opsOnly !== true).map((route) => `${route.method} ${openApiPath(route.url)}`);
    expect(apiRoutes(registered)).toEqual(served.sort());
    expect(operations(doc).sort()).toEqual(API_ROUTES.map((route) => `${route.method} ${openApiPath(route.url)}`).sort());
  });

  it('notices a route registered without a declaration (the check itself)', async () => {
    const stray: RouteModule = (app) => {
      app.post('/v1/stray/:id', () => ({}));
    };
    const registered = apiRoutes(await registeredRoutes(false, [stray]));
    expect(registered).toContain('POST /v1/stray/{id}');
    expect(operations(doc)).not.toContain('POST /v1/stray/{id}');
  });

  it('declares the security each route enforces, and the error answers', () => {
    const access = (doc.paths as Record<string, Record<string, Json>>)['/v1/subscriptions/{id}/access']?.get;
    expect(access?.security).toEqual([{ adminToken: [] }, { accessToken: [] }]);
    expect(Object.keys(access?.responses as Json)).toEqual(['200', '400', '401', '403', '404', '429', '500', '503']);
    const timeline = (doc.paths as Record<string, Record<string, Json>>)['/v1/subscriptions/{id}/timeline']?.get;
    expect(timeline?.security).toEqual([{ adminToken: [] }]);
    expect((doc.paths as Record<string, Record<string, Json>>)['/healthz']?.get?.security).toEqual([]);
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    expect(schemas.AccessDecision?.required).toEqual(['subscriptionId', 'role', 'allowed', 'known', 'accessLevel', 'status']);
    expect(schemas.Problem?.required).toEqual(['error', 'message']);
  });

  it('finds what is wrong in a broken document (the checks themselves)', () => {
    const broken = structuredClone(doc);
    const paths = broken.paths as Record<string, Record<string, Json>>;
    const letter = paths['/v1/dlq/{id}'];
    if (letter?.get === undefined) throw new Error('no GET /v1/dlq/{id}');
    letter.get.parameters = [];
    letter.get.security = [{ cookie: [] }];
    (paths['/v1/dlq'] as Record<string, Json>).get = { ...letter.get, operationId: 'getDeadLetter' };
    (broken.components as { schemas: Json }).schemas = {};
    broken.openapi = '3.0.3';
    const found = structureProblems(broken);
    expect(found).toEqual(
      expect.arrayContaining([
        'openapi is 3.0.3, not 3.1.x',
        'GET /v1/dlq/{id}: path parameter {id} is not declared',
        'GET /v1/dlq/{id}: security scheme cookie is not declared',
        'GET /v1/dlq/{id}: operationId getDeadLetter used twice',
        '$ref #/components/schemas/DeadLetter',
      ]),
    );
  });
});
