import { randomBytes } from 'node:crypto';

import type { Consumer, KafkaMessage, Producer } from 'kafkajs';

import type { DeadLetterView } from '../../src/storage/dead-letter.repository';
import { replayRequest } from '../../src/use-cases/dead-letter-replay';
import { apiClient, type Call } from '../support/api-client';
import { fraudDetected, newIds, paymentOverdue, paymentSettled, suspendRequested, type Ids } from '../support/events';
import { testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

type Summary = Omit<DeadLetterView, 'value' | 'correctedValue'>;
interface ListAnswer {
  readonly items: Summary[];
  readonly next: string | null;
  readonly total: number;
}
interface ReplayAnswer {
  readonly replayed: number;
  readonly skipped: number;
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const MAX_MESSAGE_BYTES = 4_096;
const actor = 'erin@ops.example';

/** Dead letters on the real stack: indexed from the dead-letter topic into MongoDB, listed, and replayed to their source topic. */
describe('dead letters: index, list and replay', () => {
  let h: Harness;
  let call: Call;
  let producer: Producer;
  /** Everything on the payments topic, to see what a replay sends. */
  const onPayments: KafkaMessage[] = [];
  let listener: Consumer;

  beforeAll(async () => {
    h = await startWorker({ MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES), DELETION_DELAY: 'P30D' });
    call = apiClient(h.baseUrl, ADMIN_TOKEN);
    const kafka = testKafka();
    producer = kafka.producer();
    await producer.connect();
    listener = kafka.consumer({ groupId: uniqueName('payments-listener'), maxWaitTimeInMs: 100 });
    await listener.connect();
    await listener.subscribe({ topics: [h.topics.payments], fromBeginning: true });
    await listener.run({
      eachMessage: async ({ message }) => {
        onPayments.push(message);
        await Promise.resolve();
      },
    });
  });
  afterAll(async () => {
    await listener.disconnect();
    await producer.disconnect();
    await h.stop();
  });

  const state = async (ids: Ids) => (await h.app.subscriptions.get(ids.subscriptionId))?.state ?? null;
  const list = async (query: string) => {
    const { status, body } = await call<ListAnswer>('GET', `/v1/dlq?${query}`);
    expect(status).toBe(200);
    return body;
  };
  /** Waits until a letter with this code and key is indexed. */
  const letterFor = (code: string, key: string, extra: (letter: Summary) => boolean = () => true) =>
    eventually(async () => {
      const letter = (await list(`code=${code}&limit=500`)).items.find((item) => item.key === key && extra(item));
      expect(letter).toBeDefined();
      return letter!;
    });
  const replay = (body: Record<string, unknown>) => call<ReplayAnswer>('POST', '/v1/dlq/replay', { body: { actor, ...body } });
  const letter = async (id: string) => (await call<DeadLetterView>('GET', `/v1/dlq/${id}`)).body;

  it('indexes each dead letter with its source, code, reason, key, preview and original headers; GET /v1/dlq/{id} has the bytes', async () => {
    const ids = newIds('indexed');
    const value = '{"not json';
    await producer.send({
      topic: h.topics.payments,
      messages: [{ key: ids.subscriptionId, value, headers: { 'trace-id': 'trace-1', bin: Buffer.from([0xff, 0xfe, 0x00]) } }],
    });
    const found = await letterFor('INVALID_JSON', ids.subscriptionId);
    expect(found).toEqual({
      id: `${found.dlqPartition}-${found.dlqOffset}`,
      status: 'pending',
      dlqPartition: expect.any(Number),
      dlqOffset: expect.stringMatching(/^\d+$/),
      sourceTopic: h.topics.payments,
      sourcePartition: expect.any(Number),
      sourceOffset: expect.stringMatching(/^\d+$/),
      code: 'INVALID_JSON',
      reason: expect.stringMatching(/^value is not JSON/),
      failedAt: expect.stringMatching(ISO),
      key: ids.subscriptionId,
      valueBytes: value.length,
      valuePreview: value,
      headers: [
        { name: 'trace-id', value: 'trace-1', encoding: 'utf8' },
        { name: 'bin', value: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), encoding: 'base64' },
      ],
      replayOf: null,
      truncated: null,
      replayedAt: null,
      replayedBy: null,
      replayCount: 0,
    });
    const full = await letter(found.id);
    expect(Buffer.from(full.value!, 'base64').toString('utf8')).toBe(value);
    expect(full.correctedValue).toBeNull();
    await eventually(() =>
      expect(found.sourceOffset).toBe(h.deadLetters.find((m) => m.key === ids.subscriptionId)?.headers['dlq.source.offset']),
    );
  });

  it('replays a corrected message exactly once: applied the first time, a duplicate when forced again, state unchanged', async () => {
    const ids = newIds('big');
    const event = suspendRequested(ids);
    const padded = JSON.stringify({ ...(JSON.parse(event.value) as object), padding: 'x'.repeat(6_000) });
    await h.produce(h.topics.customer, [{ key: ids.subscriptionId, value: padded }]);
    const tooLarge = await letterFor('MESSAGE_TOO_LARGE', ids.subscriptionId);
    expect(tooLarge.reason).toMatch(new RegExp(`limit is ${MAX_MESSAGE_BYTES}`));
    expect(tooLarge.valueBytes).toBe(Buffer.byteLength(padded));
    expect(tooLarge.valuePreview).toBe(padded.slice(0, 2_048));
    expect(await state(ids)).toBeNull();

    // The same event (same eventId), without the padding.
    const corrected = suspendRequested(ids, { eventId: event.eventId }).value;
    expect(await replay({ ids: [tooLarge.id], value: corrected })).toEqual({ status: 200, body: { replayed: 1, skipped: 0, failed: [] } });
    await eventually(async () => expect((await h.app.audit.byEventId(event.eventId)).map((record) => record.outcome)).toEqual(['applied']));
    expect((await state(ids))?.status).toBe('suspended');
    expect(await letter(tooLarge.id)).toMatchObject({
      status: 'replayed',
      replayedBy: actor,
      replayedAt: expect.stringMatching(ISO),
      replayCount: 1,
      correctedValue: Buffer.from(corrected).toString('base64'),
    });
    const applied = await state(ids);

    expect(await replay({ ids: [tooLarge.id], value: corrected })).toEqual({ status: 200, body: { replayed: 0, skipped: 1, failed: [] } });
    expect(await replay({ ids: [tooLarge.id], value: corrected, force: true })).toEqual({
      status: 200,
      body: { replayed: 1, skipped: 0, failed: [] },
    });
    await eventually(async () =>
      expect((await h.app.audit.byEventId(event.eventId)).map((record) => record.outcome).sort()).toEqual(['applied', 'duplicate']),
    );
    // Unchanged but for the audit chain's head, which the duplicate's record moved one place on.
    const { auditHead, ...after } = (await state(ids)) ?? {};
    const { auditHead: headBefore, ...before } = applied ?? {};
    expect(after).toEqual(before);
    expect(auditHead?.seq).toBe((headBefore?.seq ?? 0) + 1);
    expect((await letter(tooLarge.id)).replayCount).toBe(2);
    await eventually(() =>
      expect(h.lifecycle.filter((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.suspended')).toHaveLength(1),
    );
  });

  it('replays the original key, bytes and headers to the source topic; failing again, it becomes a new letter pointing back', async () => {
    const ids = newIds('again');
    const value = Buffer.from('{"still not json');
    const bin = Buffer.from([0x00, 0x9f, 0xff]);
    await producer.send({
      topic: h.topics.payments,
      messages: [{ key: ids.subscriptionId, value, headers: { 'trace-id': 'trace-2', bin } }],
    });
    const first = await letterFor('INVALID_JSON', ids.subscriptionId);

    expect(await replay({ ids: [first.id] })).toEqual({ status: 200, body: { replayed: 1, skipped: 0, failed: [] } });
    const sent = await eventually(() => {
      const message = onPayments.find((m) => m.headers?.['replay.of']?.toString() === first.id);
      expect(message).toBeDefined();
      return message!;
    });
    expect(sent.key?.toString()).toBe(ids.subscriptionId);
    expect(sent.value).toEqual(value);
    const headers = sent.headers ?? {};
    expect(Object.keys(headers).sort()).toEqual([
      'bin',
      'replay.actor',
      'replay.of',
      'replay.source.offset',
      'replay.source.partition',
      'trace-id',
    ]);
    expect(headers['trace-id']?.toString()).toBe('trace-2');
    expect(headers.bin).toEqual(bin);
    expect(headers['replay.actor']?.toString()).toBe(actor);
    // Where the event first failed: what orders the replay within its hold entry.
    const origin = { partition: String(first.sourcePartition), offset: first.sourceOffset };
    expect({ partition: headers['replay.source.partition']?.toString(), offset: headers['replay.source.offset']?.toString() }).toEqual(
      origin,
    );

    const second = await letterFor('INVALID_JSON', ids.subscriptionId, (item) => item.replayOf === first.id);
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ status: 'pending', replayCount: 0, headers: first.headers });
    expect(second.sourceOffset).not.toBe(first.sourceOffset);

    // Replayed again, it still names the place the event first failed at, not the first replay's.
    expect((await replay({ ids: [second.id] })).status).toBe(200);
    const resent = await eventually(() => {
      const message = onPayments.find((m) => m.headers?.['replay.of']?.toString() === second.id);
      expect(message).toBeDefined();
      return message!;
    });
    expect({
      partition: resent.headers?.['replay.source.partition']?.toString(),
      offset: resent.headers?.['replay.source.offset']?.toString(),
    }).toEqual(origin);
  });

  /** A settlement's value with its invoiceId broken (a number): dead-lettered, and correctable on replay. */
  const broken = (event: { value: string }) => event.value.replace('"invoiceId":"inv-1"', '"invoiceId":1');

  it("orders a replayed settlement by its original's place: it lifts a notice logged before it, though dated 55 minutes ahead", async () => {
    // A fast clock: the notice is dated ahead; the real settlement after it fails validation and is replayed corrected.
    const ahead = newIds('replay-after-fast');
    await h.produce(h.topics.payments, [paymentOverdue(ahead, 'inv-1', { occurredAt: new Date(Date.now() + 55 * 60_000).toISOString() })]);
    await eventually(async () => expect((await state(ahead))?.status).toBe('suspended'));
    const settlement = paymentSettled(ahead, 'inv-1');
    await h.produce(h.topics.payments, [{ key: ahead.subscriptionId, value: broken(settlement) }]);
    const letterAhead = await letterFor('SCHEMA_VIOLATION', ahead.subscriptionId);
    expect((await replay({ ids: [letterAhead.id], value: settlement.value })).status).toBe(200);
    await eventually(async () => expect((await state(ahead))?.status).toBe('active'));
    expect((await state(ahead))?.deletion).toBeNull();
  });

  it("orders a replayed settlement by its original's place: it never lifts a notice logged after it, though dated later", async () => {
    // The settlement (its producer's clock 10 minutes fast) fails, the invoice is overdue again, then the replay: the
    // new notice was logged after the settlement's original, so the settlement is stale, though it is dated later.
    const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();
    const behind = newIds('replay-before');
    await h.produce(h.topics.payments, [paymentOverdue(behind, 'inv-1', { occurredAt: minutes(-10) })]);
    await eventually(async () => expect((await state(behind))?.status).toBe('suspended'));
    const early = paymentSettled(behind, 'inv-1', { occurredAt: minutes(10) });
    await h.produce(h.topics.payments, [{ key: behind.subscriptionId, value: broken(early) }]);
    const letterBehind = await letterFor('SCHEMA_VIOLATION', behind.subscriptionId);
    const again = paymentOverdue(behind, 'inv-1', { occurredAt: minutes(0) });
    await h.produce(h.topics.payments, [again]);
    await eventually(async () => expect((await h.app.audit.byEventId(again.eventId)).map((r) => r.outcome)).toEqual(['applied']));
    expect((await replay({ ids: [letterBehind.id], value: early.value })).status).toBe(200);
    const [record] = await eventually(async () => {
      const records = await h.app.audit.byEventId(early.eventId);
      expect(records).toHaveLength(1);
      return records;
    });
    expect(record).toMatchObject({ outcome: 'stale', actor: { kind: 'system', id: 'billing-payments', replayedBy: actor } });
    expect(record?.reason).toMatch(/^stale: nonpayment\/inv-1 changed by an event logged after this one's original /);
    expect((await state(behind))?.status).toBe('suspended');
  });

  it('pages through /v1/dlq without overlap or gaps; a filter replays a snapshot, so letters that fail again wait for the next replay', async () => {
    const keys = Array.from({ length: 7 }, () => newIds('empty').subscriptionId);
    await h.produce(
      h.topics.payments,
      keys.map((key) => ({ key, value: null })),
    );
    await eventually(async () => expect((await list('code=MISSING_VALUE&limit=1')).total).toBe(7));

    const pages: ListAnswer[] = [];
    let after: string | null = null;
    do {
      const page: ListAnswer = await list(`code=MISSING_VALUE&limit=3${after === null ? '' : `&after=${after}`}`);
      pages.push(page);
      after = page.next;
    } while (after !== null && pages.length < 100);
    expect(pages.map((page) => [page.items.length, page.total])).toEqual([
      [3, 7],
      [3, 7],
      [1, 7],
    ]);
    const items = pages.flatMap((page) => page.items);
    expect(new Set(items.map((item) => item.id)).size).toBe(7);
    expect(items.map((item) => item.key).sort()).toEqual([...keys].sort());
    const order = items.map((item) => [item.dlqPartition, Number(item.dlqOffset)] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));

    expect(await replay({ filter: { code: 'MISSING_VALUE' } })).toEqual({ status: 200, body: { replayed: 7, skipped: 0, failed: [] } });
    expect((await list('code=MISSING_VALUE&status=replayed&limit=1')).total).toBe(7);
    // Each replay fails again (still no value): seven new pending letters, one per original, none replayed in the same go.
    const originals = new Set(items.map((item) => item.id));
    await eventually(async () => {
      const pending = (await list('code=MISSING_VALUE&status=pending&limit=500')).items;
      expect(pending.map((item) => item.replayOf).filter((id) => id !== null && originals.has(id))).toHaveLength(7);
      expect(pending).toHaveLength(7);
    });
    expect(await replay({ filter: { code: 'MISSING_VALUE', status: 'replayed' } })).toEqual({
      status: 200,
      body: { replayed: 0, skipped: 7, failed: [] },
    });

    // What the CLI calls: force replays already-replayed letters, reporting progress.
    const progress: [number, number][] = [];
    const result = await replayRequest(
      { store: h.app.deadLetterStore, producer: h.app.producer, clock: Date.now, decoder: h.app.inbound.decoder },
      {
        filter: { code: 'MISSING_VALUE', status: 'replayed' },
        actor: 'cli@ops.example',
        force: true,
        onProgress: (done, total) => progress.push([done, total]),
      },
    );
    expect(result).toEqual({ ok: true, replayed: 7, skipped: 0, failed: [] });
    expect(progress).toEqual([[7, 7]]);
    expect((await list('code=MISSING_VALUE&status=replayed&limit=500')).items.map((item) => [item.replayCount, item.replayedBy])).toEqual(
      Array.from({ length: 7 }, () => [2, 'cli@ops.example']),
    );
  });

  it('refuses an empty, ambiguous or bad request with 400 and unknown letters with 404, replaying nothing', async () => {
    const ids = newIds('refused');
    await h.produce(h.topics.payments, [{ key: ids.subscriptionId, value: '{"oops' }]);
    const target = await letterFor('INVALID_JSON', ids.subscriptionId);
    const valid = paymentSettled(ids, 'inv-1').value;

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['no selection', { actor }, /^body: say what to replay: ids, a filter, or all: true/],
      ['no actor', { ids: [target.id], actor: undefined }, /^body\.actor: is required$/],
      ['all with ids', { all: true, ids: [target.id] }, /^body\.all: cannot be combined with ids or filter$/],
      ['all false', { all: false }, /^body\.all: must be true when given$/],
      ['bad id', { ids: ['abc'] }, /^body\.ids\.0: must be a dead-letter id/],
      ['no ids', { ids: [] }, /^body\.ids: must name at least one letter$/],
      ['value for two', { ids: [target.id, '0-0'], value: valid }, /^body\.value: a corrected value needs exactly one id in ids$/],
      ['value not JSON', { ids: [target.id], value: '{oops' }, /^body\.value: is not JSON: /],
      [
        'value still bad',
        { ids: [target.id], value: '{"eventId":"x"}' },
        /^body\.value: would be dead-lettered again \(SCHEMA_VIOLATION\): /,
      ],
      [
        'value outside filter',
        { ids: [target.id], filter: { code: 'MISSING_VALUE' }, value: valid },
        /^body: .*exactly one dead letter; this selection has 0$/,
      ],
      ['force not boolean', { ids: [target.id], force: 'yes' }, /^body\.force: must be true or false$/],
      ['unknown field', { ids: [target.id], dryRun: true }, /^body: .*dryRun/],
      ['bad status', { filter: { status: 'done' } }, /^body\.filter\.status: must be pending or replayed$/],
    ];
    for (const [name, body, message] of cases) {
      const answer = await call('POST', '/v1/dlq/replay', { body: { actor, ...body } });
      expect({ name, status: answer.status, error: answer.body.error }).toEqual({ name, status: 400, error: 'bad-request' });
      expect(answer.body.message).toMatch(message);
    }
    expect(await replay({ ids: [target.id, '7-999999999'] })).toEqual({
      status: 404,
      body: { error: 'not-found', message: 'no dead letter 7-999999999' },
    });

    for (const [query, message] of [
      ['status=done', /^query\.status: must be pending or replayed$/],
      ['limit=0', /^query\.limit: must be a whole number from 1 to 500$/],
      ['after=zzz', /^query\.after: is not a cursor this API gave$/],
      ['code=lower', /^query\.code: must be an error code/],
      ['colour=red', /^query: .*colour/],
    ] as const) {
      const answer = await call('GET', `/v1/dlq?${query}`);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      expect(answer.body.message).toMatch(message);
    }
    const badId = await call('GET', '/v1/dlq/abc');
    expect([badId.status, badId.body.message]).toEqual([400, 'path.id: must be a dead-letter id, <partition>-<offset>']);
    expect(await call('GET', '/v1/dlq/7-999999999')).toEqual({
      status: 404,
      body: { error: 'not-found', message: 'no dead letter 7-999999999' },
    });

    expect(await letter(target.id)).toMatchObject({ status: 'pending', replayCount: 0 });
  });

  it('all: true replays every letter not replayed yet', async () => {
    const ids = newIds('all');
    await h.produce(h.topics.payments, [{ key: ids.subscriptionId, value: 'nope' }]);
    await letterFor('INVALID_JSON', ids.subscriptionId);
    const pendingBefore = (await list('status=pending&limit=500')).items.map((item) => item.id);
    expect(pendingBefore.length).toBeGreaterThan(0);

    const answer = await replay({ all: true });
    expect(answer.status).toBe(200);
    expect(answer.body.replayed).toBeGreaterThanOrEqual(pendingBefore.length);
    for (const id of pendingBefore) expect([id, (await letter(id)).status]).toEqual([id, 'replayed']);
  });

  it('indexing is idempotent: a letter read again (a redelivery) keeps what is stored, replay status included', async () => {
    const [replayed] = (await list('status=replayed&limit=1')).items;
    expect(replayed).toBeDefined();
    await h.app.deadLetterStore.index(
      [
        {
          dlqPartition: replayed!.dlqPartition,
          dlqOffset: replayed!.dlqOffset,
          sourceTopic: 'elsewhere',
          sourcePartition: 0,
          sourceOffset: '0',
          code: 'SOMETHING_ELSE',
          reason: 'redelivered',
          failedAt: Date.now(),
          key: 'other',
          value: Buffer.from('{}'),
          headers: [],
          replayOf: null,
        },
      ],
      Date.now(),
    );
    expect(await letter(replayed!.id)).toMatchObject({
      code: replayed!.code,
      key: replayed!.key,
      status: 'replayed',
      replayCount: replayed!.replayCount,
    });
    expect(await h.app.deadLetterStore.count({ ids: [replayed!.id] })).toBe(1);
    expect((await list('code=SOMETHING_ELSE&limit=1')).total).toBe(0);
  });

  /** Letters as the indexer would store them, for sizes the worker's own limits would never let through. */
  const indexLetters = async (letters: { key: string; value: Buffer }[]): Promise<string[]> => {
    const offsetBase = 900_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
    await h.app.deadLetterStore.index(
      letters.map((item, n) => ({
        dlqPartition: 0,
        dlqOffset: String(offsetBase + n),
        sourceTopic: h.topics.payments,
        sourcePartition: 0,
        sourceOffset: '0',
        code: 'INVALID_JSON',
        reason: 'test letter',
        failedAt: Date.now(),
        key: item.key,
        value: item.value,
        headers: [],
        replayOf: null,
      })),
      Date.now(),
    );
    return letters.map((_, n) => `0-${offsetBase + n}`);
  };
  const sentFor = (id: string) => onPayments.filter((m) => m.headers?.['replay.of']?.toString() === id).length;

  it('replays large letters within the producer size limit, marks each as it goes, and reports per letter what failed', async () => {
    const key = newIds('large').subscriptionId;
    const big = (bytes: number) => Buffer.from(`{"pad":"${'x'.repeat(bytes - 10)}"}`);
    const [large1, large2, small1, small2, tooLarge, small3] = await indexLetters([
      { key, value: big(600_000) },
      { key, value: big(600_000) },
      { key, value: Buffer.from('{"small":1') },
      { key, value: Buffer.from('{"small":2') },
      // Over the inbound topic's 1 MB limit even alone, and even compressed (the producer gzips): it must fail alone.
      { key, value: randomBytes(1_200_000) },
      { key, value: Buffer.from('{"small":3') },
    ]);
    const ids = [large1!, large2!, small1!, small2!, tooLarge!, small3!];
    const answer = await replay({ ids });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ replayed: 5, skipped: 0, failed: [{ id: tooLarge, error: expect.stringMatching(/./) }] });
    for (const id of ids) expect([id, (await letter(id)).status]).toEqual([id, id === tooLarge ? 'pending' : 'replayed']);
    // Each replayed letter was sent once; the refused one not at all.
    await eventually(() => expect(ids.map(sentFor)).toEqual(ids.map((id) => (id === tooLarge ? 0 : 1))));

    // Again, with force: only what is refused fails, and nothing else is sent twice in one go.
    const again = await replay({ ids, force: true });
    expect(again.body).toMatchObject({ replayed: 5, failed: [{ id: tooLarge }] });
    await eventually(() => expect(ids.map(sentFor)).toEqual(ids.map((id) => (id === tooLarge ? 0 : 2))));
  });

  it('refuses a correction that changes the event (422) and records the replaying operator and every correction', async () => {
    const ids = newIds('forge');
    // A real fraud hold.
    await h.produce(h.topics.fraud, [fraudDetected(ids, 'case-1', 0.95)]);
    await eventually(async () => expect((await state(ids))?.status).toBe('suspended'));
    // An unrelated malformed fraud letter of the same subscription.
    const malformed = fraudDetected(ids, 'case-2', 0.9);
    const broken = malformed.value.replace('"score":0.9', '"score":"high"');
    await h.produce(h.topics.fraud, [{ key: ids.subscriptionId, value: broken }]);
    const found = await letterFor('SCHEMA_VIOLATION', ids.subscriptionId);

    // Forged: a fraud.cleared for the real case, under a new eventId.
    const forged = JSON.stringify({
      ...(JSON.parse(broken) as object),
      eventId: 'forged-1',
      type: 'fraud.cleared',
      data: { caseId: 'case-1' },
    });
    const refused = await replay({ ids: [found.id], value: forged });
    expect(refused.status).toBe(422);
    expect((refused.body as unknown as { message: string }).message).toMatch(/^body\.value: the corrected value changes eventId /);
    const sameIdOtherType = JSON.stringify({ ...(JSON.parse(broken) as object), type: 'fraud.cleared', data: { caseId: 'case-1' } });
    expect((await replay({ ids: [found.id], value: sameIdOtherType })).status).toBe(422);
    expect(await letter(found.id)).toMatchObject({ status: 'pending', replayCount: 0, corrections: [] });
    expect((await state(ids))?.status).toBe('suspended');

    // The honest correction: only the score, which failed validation.
    const fixed = JSON.stringify({ ...(JSON.parse(broken) as object), data: { caseId: 'case-2', score: 0.9 } });
    expect(await replay({ ids: [found.id], value: fixed })).toEqual({ status: 200, body: { replayed: 1, skipped: 0, failed: [] } });
    const audit = await eventually(async () => {
      const records = await h.app.audit.byEventId(malformed.eventId);
      expect(records).toHaveLength(1);
      return records[0]!;
    });
    expect(audit.actor).toEqual({ kind: 'system', id: 'fraud-signals', replayedBy: actor });
    const refixed = JSON.stringify({ ...(JSON.parse(broken) as object), data: { caseId: 'case-2', score: 0.91 } });
    const other = await call<ReplayAnswer>('POST', '/v1/dlq/replay', {
      body: { actor: 'frank@ops.example', ids: [found.id], value: refixed, force: true },
    });
    expect(other.status).toBe(200);
    const stored = await letter(found.id);
    expect(stored.corrections.map((correction) => [correction.actor, Buffer.from(correction.value, 'base64').toString()])).toEqual([
      [actor, fixed],
      ['frank@ops.example', refixed],
    ]);
    expect(stored.corrections.every((correction) => ISO.test(correction.at))).toBe(true);
  });

  it('drops inbound dlq.* headers: a spoofed dlq.replay-of or replay.of never links a letter to another', async () => {
    const ids = newIds('spoof');
    const [victim] = (await list('limit=1')).items;
    expect(victim).toBeDefined();
    await producer.send({
      topic: h.topics.payments,
      messages: [
        {
          key: ids.subscriptionId,
          value: '{"spoof',
          headers: { 'dlq.replay-of': victim!.id, 'replay.of': victim!.id, 'dlq.error.code': 'NONE', 'trace-id': 't' },
        },
      ],
    });
    const found = await letterFor('INVALID_JSON', ids.subscriptionId);
    expect(found.replayOf).toBeNull();
    expect(found.headers).toEqual([{ name: 'trace-id', value: 't', encoding: 'utf8' }]);
    const raw = await eventually(() => {
      const message = h.deadLetters.find((m) => m.key === ids.subscriptionId);
      expect(message).toBeDefined();
      return message!;
    });
    expect(raw.headers['dlq.replay-of']).toBeUndefined();
    expect(raw.headers['dlq.error.code']).toBe('INVALID_JSON');
  });
});
