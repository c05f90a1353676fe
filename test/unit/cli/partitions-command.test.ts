import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { elapsed } from '../../../src/cli/partitions.command';
import type { ConsumerProblem } from '../../../src/kafka/consumer-health';
import { skipRequestSchema } from '../../../src/use-cases/partition-skips';
import { runCliHere } from '../../support/cli-run';

const TOKEN = 'fake-admin-token-0123456789';
// eslint-disable-next-line no-control-regex -- control and bidi characters are exactly what must not be printed raw
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
}

/** A stand-in for the worker's HTTP API: answers what the test sets, records what it was asked. */
class FakeApi {
  readonly seen: Seen[] = [];
  problems: ConsumerProblem[] = [];
  skips: unknown[] = [];
  skipAnswer: { status: number; body: unknown } = { status: 201, body: {} };
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      void this.answer(request).then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async answer(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    this.seen.push({ method: request.method ?? '', url: request.url ?? '', body: text === '' ? null : JSON.parse(text) });
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 403, body: { error: 'forbidden', message: 'forbidden' } };
    if (request.method === 'GET' && request.url?.startsWith('/v1/partitions?') === true)
      return { status: 200, body: { problems: this.problems, skips: this.skips } };
    if (request.method === 'POST' && request.url === '/v1/partitions/skips') return this.skipAnswer;
    return { status: 404, body: { error: 'not-found', message: 'no route' } };
  }
}

const cli = (args: readonly string[], env: Record<string, string> = { BILLING_ENFORCER_API_TOKEN: TOKEN }) => runCliHere(args, env);

const held: ConsumerProblem = {
  consumer: 'inbound',
  cause: 'unsupported-codec',
  topic: 'billing.payments.v1',
  partition: 3,
  offset: '120',
  lastOffset: '124',
  sinceMs: 185_000,
  // What a client error might say: an escape sequence and a right-to-left override must not reach the terminal.
  detail: 'unsupported-codec: lz4 record batch at offsets 120-124: \u001b[2Jnot implemented \u202eexe',
};

const approval = {
  id: 'a1b2',
  topic: 'billing.payments.v1',
  partition: 3,
  fromOffset: '120',
  toOffset: '130',
  actor: 'ops:jane',
  reason: 'INC-7 producer on lz4',
  requestedAt: '2026-11-24T05:00:00.000Z',
  skipped: [{ firstOffset: '120', lastOffset: '124', at: '2026-11-24T05:00:03.000Z' }],
};

describe('billing-enforcer partitions (against a stand-in API)', () => {
  const api = new FakeApi();
  let base: string[];

  beforeAll(async () => {
    base = ['--api', await api.start()];
  });
  afterAll(async () => {
    await api.stop();
  });
  beforeEach(() => {
    api.seen.length = 0;
    api.problems = [];
    api.skips = [];
  });

  it('status: the replica’s problems with the skip command to run, and each approval with what it let through, escaped', async () => {
    api.problems = [held, { ...held, cause: 'crash-loop', topic: null, partition: null, offset: null, lastOffset: null, detail: 'x' }];
    api.skips = [approval, { ...approval, id: 'c3d4', skipped: [] }];
    const run = await cli([...base, 'partitions', 'status', '--limit', '5']);
    expect(run.code).toBe(0);
    expect(api.seen).toEqual([expect.objectContaining({ method: 'GET', url: '/v1/partitions?limit=5' })]);
    const lines = run.stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}inbound +unsupported-codec +billing\.payments\.v1\[3\] +120-124 +3 min +unsupported-codec/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}inbound +crash-loop +\(whole consumer\) +- +3 min +x$/));
    expect(run.stdout).toContain('billing-enforcer partitions skip billing.payments.v1 3 --from 120 --to 124 --reason <why> --actor <you>');
    expect(lines).toContainEqual(
      expect.stringMatching(/billing\.payments\.v1\[3\] +120-130 +ops:jane +INC-7 producer on lz4 +120-124 at 2026-11-24T05:00:03\.000Z$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/nothing yet$/));
    expect(run.stdout).toContain('\\u001b[2Jnot implemented \\u202eexe');
    expect(run.stdout).not.toMatch(RAW);

    const json = await cli([...base, '--json', 'partitions', 'status']);
    expect(json.stdout).not.toMatch(RAW);
    expect(JSON.parse(json.stdout)).toEqual({ source: 'api', problems: api.problems, skips: api.skips });
  });

  it('status says so when the replica has no problems and there are no approvals', async () => {
    const run = await cli([...base, 'partitions', 'status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('no consumer problems on the replica that answered\n\nno skip approvals\n');
  });

  it('skip: posts the approval, says what will happen and whether it covers the batch the replica holds', async () => {
    api.problems = [held];
    api.skipAnswer = { status: 201, body: { ...approval, skipped: [], note: 'carried out by …' } };
    const args = ['partitions', 'skip', 'billing.payments.v1', '3', '--from', '120', '--to', '130', '--reason', 'INC-7 producer on lz4'];
    const run = await cli([...base, ...args, '--actor', 'ops:jane']);
    expect(run.code).toBe(0);
    expect(api.seen[0]).toEqual({
      method: 'POST',
      url: '/v1/partitions/skips',
      body: {
        topic: 'billing.payments.v1',
        partition: 3,
        fromOffset: '120',
        toOffset: '130',
        actor: 'ops:jane',
        reason: 'INC-7 producer on lz4',
      },
    });
    expect(run.stdout).toContain('approved: skip on billing.payments.v1[3], offsets 120-130, by ops:jane');
    expect(run.stdout).toContain('it writes the batch to the dead-letter topic first (code BATCH_SKIPPED');
    expect(run.stdout).toContain('Readable records in the range are still read and applied');
    expect(run.stdout).toContain('holds billing.payments.v1[3] at 120-124 (unsupported-codec): this approval covers it');

    // A range that misses part of the batch lets nothing through: the operator hears so at once.
    api.skipAnswer = { status: 201, body: { ...approval, toOffset: '122', skipped: [], note: 'carried out by …' } };
    // A range that ends before the held batch does.
    const skipNarrow = ['partitions', 'skip', 'billing.payments.v1', '3', '--from', '120', '--to', '122', '--reason', 'r', '--actor', 'a'];
    const narrow = await cli([...base, '--json', ...skipNarrow]);
    expect(narrow.code).toBe(0);
    const document = JSON.parse(narrow.stdout) as { approval: { toOffset: string }; note: string; held: unknown[] };
    expect(document.approval.toOffset).toBe('122');
    expect(document.note).toBe('carried out by …');
    expect(document.held).toEqual([{ consumer: 'inbound', cause: 'unsupported-codec', offset: '120', lastOffset: '124', covered: false }]);
    const text = await cli([...base, ...skipNarrow]);
    expect(text.stdout).toContain('NOT within 120-122, it stays held');
  });

  it('refuses a bad request before asking anyone (exit 2), and answers with the error table’s codes', async () => {
    const skip = (...rest: string[]) => [...base, 'partitions', 'skip', ...rest, '--reason', 'r', '--actor', 'a'];
    const backwards = await cli(skip('billing.payments.v1', '3', '--from', '9', '--to', '2'));
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to: must not be before --from');
    const malformed = await cli(skip('bad topic', '3', '--from', 'x', '--to', '2'));
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('TOPIC: must be a Kafka topic name; --from: must be a Kafka offset');
    expect((await cli(skip('billing.payments.v1', '-1', '--from', '1', '--to', '2'))).code).toBe(2);
    expect((await cli([...base, 'partitions', 'skip', 'billing.payments.v1', '3', '--from', '1', '--to', '2', '--actor', 'a'])).code).toBe(
      2,
    );
    expect(api.seen).toEqual([]);

    api.skipAnswer = { status: 400, body: { error: 'bad-request', message: 'topic other.v1 is not one the worker consumes' } };
    const foreign = await cli(skip('other.v1', '0', '--from', '1', '--to', '2'));
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('not one the worker consumes');
    expect((await cli([...base, 'partitions', 'status'], { BILLING_ENFORCER_API_TOKEN: 'wrong-token-0123456789' })).code).toBe(78);
    expect((await cli(['--api', 'http://127.0.0.1:1', 'partitions', 'status'])).code).toBe(69);
  });
});

describe('partitions helpers', () => {
  it('says how long a problem has lasted in its two largest units', () => {
    expect([0, 45_000, 185_000, 7_500_000, 97_200_000].map(elapsed)).toEqual(['0 s', '45 s', '3 min', '2 h 5 min', '1 d 3 h']);
  });

  it('reports a malformed offset as a problem of the request, never throws on it', () => {
    const request = { topic: 't', partition: 0, actor: 'a', reason: 'r' };
    const parsed = skipRequestSchema.safeParse({ ...request, fromOffset: 'abc', toOffset: '99999999999999999999' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['fromOffset', 'toOffset']);
    expect(skipRequestSchema.safeParse({ ...request, fromOffset: '9223372036854775808', toOffset: '1' }).success).toBe(false);
    expect(skipRequestSchema.safeParse({ ...request, fromOffset: '3', toOffset: '3' }).success).toBe(true);
  });
});
