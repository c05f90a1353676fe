import fs from 'node:fs';
import path from 'node:path';

import { ACCESS_TOKEN, startWorker, type Harness } from '../support/worker-harness';

type Json = Record<string, unknown>;
interface Operation {
  readonly security: readonly Json[];
  readonly responses: Readonly<Record<string, Json>>;
}
interface Document {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, { properties: Json; required: string[] }>> };
}

const committed = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'contract', 'openapi.json'), 'utf8');

/** The worker serves its OpenAPI document, and answers as it says. */
describe('GET /openapi.json', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ OPS_ROUTES_ENABLED: 'true' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('serves the committed document without a token', async () => {
    const response = await fetch(`${h.baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.text()).toBe(committed);
  });

  it('answers every documented route without a token with a documented status: 401 where the document asks for one', async () => {
    const doc = JSON.parse(committed) as Document;
    const answers: string[] = [];
    const expected: string[] = [];
    for (const [route, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const url = route.replace('{id}', route.startsWith('/v1/dlq') ? '0-0' : 'sub-openapi');
        const response = await fetch(`${h.baseUrl}${url}`, { method: method.toUpperCase() });
        await response.arrayBuffer();
        const open = operation.security.length === 0;
        const documented = Object.keys(operation.responses).includes(String(response.status));
        // An open route answers as it documents (/readyz may say 503 while the consumer joins), never 401.
        const seen = open && response.status !== 401 ? 'open' : response.status;
        answers.push(`${method} ${route}: ${seen}, documented ${documented}`);
        expected.push(`${method} ${route}: ${open ? 'open' : 401}, documented true`);
      }
    }
    expect(answers).toEqual(expected);
  });

  it('sends the access decision and the problem shape its schemas name', async () => {
    const { schemas } = (JSON.parse(committed) as Document).components;
    const get = async (query: string) => {
      const response = await fetch(`${h.baseUrl}/v1/subscriptions/sub-never-stored/access${query}`, {
        headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
      });
      return { status: response.status, body: (await response.json()) as Json };
    };
    const decision = await get('?role=user');
    expect(decision.status).toBe(200);
    expect(Object.keys(decision.body).sort()).toEqual(Object.keys(schemas.AccessDecision?.properties ?? {}).sort());
    expect(decision.body).toMatchObject({ allowed: true, known: false, status: 'active' });
    const refused = await get('?role=owner');
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body).sort()).toEqual([...(schemas.Problem?.required ?? [])].sort());
    expect(refused.body.message).toBe('query.role: role must be user or admin');
  });
});
