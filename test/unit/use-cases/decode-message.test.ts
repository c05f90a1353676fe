import { consumers } from '../../../consumers/routes';
import type { EventConsumer } from '../../../consumers/consumer';
import { decodeMessage, type DecoderOptions } from '../../../src/use-cases/decode-message';
import type { InboundMessage } from '../../../src/kafka/inbound-message';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const options: DecoderOptions = {
  routes: new Map<string, EventConsumer>(consumers.map((consumer) => [consumer.defaultTopic, consumer])),
  maxMessageBytes: 10_000,
  maxClockSkewMs: 3_600_000,
};

const envelope = (overrides: Record<string, unknown> = {}) => ({
  eventId: 'evt-1',
  type: 'payment.overdue',
  occurredAt: '2026-06-01T11:00:00+02:00',
  subscriptionId: 'sub-1',
  customerId: 'cust-1',
  tenantId: 'tenant-1',
  data: { invoiceId: 'inv-1', amountDue: 10, currency: 'EUR', daysOverdue: 3 },
  ...overrides,
});

function message(value: unknown, key: string | null = 'sub-1', topic = 'billing.payments.v1'): InboundMessage {
  const bytes = value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return { topic, partition: 0, offset: '7', timestamp: '0', key: key === null ? null : Buffer.from(key), value: bytes, headers: {} };
}

const codeOf = (value: unknown, key?: string | null, topic?: string) => {
  const decoded = decodeMessage(message(value, key, topic), options, NOW);
  return decoded.ok ? 'ok' : decoded.error.code;
};

describe('decodeMessage', () => {
  it('turns a valid event into a command with the instant, ids and instruction', () => {
    const decoded = decodeMessage(message(envelope()), options, NOW);
    expect(decoded).toEqual({
      ok: true,
      type: 'payment.overdue',
      command: {
        eventId: 'evt-1',
        occurredAt: Date.parse('2026-06-01T09:00:00Z'),
        subscriptionId: 'sub-1',
        customerId: 'cust-1',
        tenantId: 'tenant-1',
        actor: { kind: 'system', id: 'billing-payments' },
        instruction: { type: 'invoice-overdue', invoiceId: 'inv-1', amountDue: 10, currency: 'EUR', daysOverdue: 3 },
        position: { topic: 'billing.payments.v1', partition: 0, offset: '7' },
      },
    });
  });

  it("places a dead-letter replay at its original's place in the log, from its replay.source headers", () => {
    const replay = (headers: InboundMessage['headers']) => {
      const decoded = decodeMessage({ ...message(envelope()), offset: '900', headers }, options, NOW);
      return decoded.ok ? { position: decoded.command.position, replayed: decoded.command.replayed } : decoded.error.code;
    };
    expect(replay({ 'replay.of': '2-41', 'replay.source.partition': '0', 'replay.source.offset': '7' })).toEqual({
      position: { topic: 'billing.payments.v1', partition: 0, offset: '7' },
      replayed: true,
    });
    expect(
      replay({ 'replay.of': Buffer.from('2-41'), 'replay.source.partition': [Buffer.from('3')], 'replay.source.offset': '12' }),
    ).toEqual({
      position: { topic: 'billing.payments.v1', partition: 3, offset: '12' },
      replayed: true,
    });
    // A replay from no known place is still a replay: it is then ordered by occurredAt.
    for (const headers of [
      { 'replay.of': '2-41' },
      { 'replay.of': '2-41', 'replay.source.partition': '0', 'replay.source.offset': '-1' },
      { 'replay.of': '2-41', 'replay.source.partition': 'x', 'replay.source.offset': '7' },
    ]) {
      expect(replay(headers)).toEqual({ position: undefined, replayed: true });
    }
    // Without replay.of, the message's own place, whatever else it carries.
    expect(replay({ 'replay.source.partition': '0', 'replay.source.offset': '7' })).toEqual({
      position: { topic: 'billing.payments.v1', partition: 0, offset: '900' },
      replayed: undefined,
    });
  });

  it.each([
    ['no value', null, 'MISSING_VALUE'],
    ['invalid JSON', '{"eventId":', 'INVALID_JSON'],
    ['a JSON array', [1, 2], 'SCHEMA_VIOLATION'],
    ['a missing eventId', envelope({ eventId: undefined }), 'SCHEMA_VIOLATION'],
    ['an empty eventId', envelope({ eventId: '' }), 'SCHEMA_VIOLATION'],
    ['an eventId over 128 characters', envelope({ eventId: 'e'.repeat(129) }), 'SCHEMA_VIOLATION'],
    ['a subscriptionId with a dot first', envelope({ subscriptionId: '.sub' }), 'SCHEMA_VIOLATION'],
    ['a subscriptionId with a colon', envelope({ subscriptionId: 'a:b' }), 'SCHEMA_VIOLATION'],
    ['a MongoDB operator as tenantId', envelope({ tenantId: { $gt: '' } }), 'SCHEMA_VIOLATION'],
    [
      'a MongoDB operator as invoiceId',
      envelope({ data: { invoiceId: { $where: '1' }, amountDue: 1, currency: 'EUR', daysOverdue: 1 } }),
      'SCHEMA_VIOLATION',
    ],
    [
      'a control character in invoiceId',
      envelope({ data: { invoiceId: 'a\u0000b', amountDue: 1, currency: 'EUR', daysOverdue: 1 } }),
      'SCHEMA_VIOLATION',
    ],
    [
      'a C1 control (CSI) in invoiceId',
      envelope({ data: { invoiceId: 'a\u009b31mb', amountDue: 1, currency: 'EUR', daysOverdue: 1 } }),
      'SCHEMA_VIOLATION',
    ],
    [
      'a bidi override in invoiceId',
      envelope({ data: { invoiceId: 'inv-\u202e1-vni', amountDue: 1, currency: 'EUR', daysOverdue: 1 } }),
      'SCHEMA_VIOLATION',
    ],
    ['a bidi isolate in eventId', envelope({ eventId: 'evt\u2066-1' }), 'SCHEMA_VIOLATION'],
    ['an Arabic letter mark in eventId', envelope({ eventId: 'evt\u061c-1' }), 'SCHEMA_VIOLATION'],
    ['a left-to-right mark in eventId', envelope({ eventId: 'evt\u200e-1' }), 'SCHEMA_VIOLATION'],
    ['a C1 control in type', envelope({ type: 'payment.overdue\u0085' }), 'SCHEMA_VIOLATION'],
    ['a negative amount', envelope({ data: { invoiceId: 'i', amountDue: -1, currency: 'EUR', daysOverdue: 1 } }), 'SCHEMA_VIOLATION'],
    ['a non-RFC 3339 date', envelope({ occurredAt: '01/06/2026' }), 'SCHEMA_VIOLATION'],
    ['a date without offset', envelope({ occurredAt: '2026-06-01T11:00:00' }), 'SCHEMA_VIOLATION'],
    ['a date before 2000', envelope({ occurredAt: '1970-01-01T00:00:00Z' }), 'OCCURRED_AT_OUT_OF_RANGE'],
    ['a date far in the future', envelope({ occurredAt: '2999-01-01T00:00:00Z' }), 'OCCURRED_AT_OUT_OF_RANGE'],
    ['an unknown type', envelope({ type: 'payment.refunded' }), 'UNKNOWN_EVENT_TYPE'],
    ['a type named like an Object property', envelope({ type: 'constructor' }), 'UNKNOWN_EVENT_TYPE'],
    ['a type of another topic', envelope({ type: 'fraud.detected' }), 'UNKNOWN_EVENT_TYPE'],
  ])('dead-letters %s', (_name, value, code) => {
    expect(codeOf(value)).toBe(code);
  });

  it('reports the envelope type as sent, or unknown when it cannot be read, for metrics', () => {
    expect(decodeMessage(message(envelope({ type: 'payment.refunded' })), options, NOW).type).toBe('payment.refunded');
    expect(decodeMessage(message('{"eventId":'), options, NOW).type).toBe('unknown');
  });

  it('dead-letters a missing key and a key other than the subscriptionId', () => {
    expect(codeOf(envelope(), null)).toBe('MISSING_KEY');
    expect(codeOf(envelope(), 'sub-2')).toBe('KEY_MISMATCH');
  });

  it('dead-letters a message over MAX_MESSAGE_BYTES before parsing it', () => {
    expect(codeOf(envelope({ data: { invoiceId: 'x'.repeat(20_000) } }))).toBe('MESSAGE_TOO_LARGE');
  });

  it('names every failing path in a schema violation', () => {
    const decoded = decodeMessage(message(envelope({ data: { invoiceId: 7, currency: 'euro' } })), options, NOW);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error.message).toMatch(/data\.invoiceId: .+; data\.amountDue: .+; data\.currency: .+; data\.daysOverdue: /);
    expect(decoded.error.retriable).toBe(false);
  });

  it('accepts events within the clock-skew allowance and ignores unknown envelope fields', () => {
    expect(codeOf(envelope({ occurredAt: '2026-06-01T12:30:00Z', extra: 'kept out' }))).toBe('ok');
  });
});

describe('decodeMessage of bytes that are not UTF-8', () => {
  const bytes = (text: string, invalid: number) => {
    const [before, after] = text.split('@@');
    return Buffer.concat([Buffer.from(before ?? ''), Buffer.from([invalid]), Buffer.from(after ?? '')]);
  };
  const raw = (value: Buffer, key: Buffer | null = Buffer.from('sub-1')): InboundMessage => ({
    ...message(null),
    value,
    key,
  });

  it.each([0xff, 0xfe, 0xc3, 0x80])('dead-letters a value with the byte %i as INVALID_ENCODING, not as a lossy id', (invalid) => {
    const value = bytes(JSON.stringify(envelope({ eventId: 'ev-@@' })), invalid);
    const decoded = decodeMessage(raw(value), options, NOW);
    expect(decoded.ok ? 'ok' : decoded.error.code).toBe('INVALID_ENCODING');
    if (!decoded.ok) expect(decoded.error.message).toMatch(/value is not valid UTF-8/);
  });

  it('dead-letters a key that is not UTF-8 as INVALID_ENCODING', () => {
    const decoded = decodeMessage(raw(Buffer.from(JSON.stringify(envelope())), bytes('sub-1@@', 0xff)), options, NOW);
    expect(decoded.ok ? 'ok' : decoded.error.code).toBe('INVALID_ENCODING');
    if (!decoded.ok) expect(decoded.error.message).toMatch(/key is not valid UTF-8/);
  });

  it('accepts multi-byte UTF-8 and keeps a byte-order mark in the key (so it is not the subscriptionId)', () => {
    expect(codeOf(envelope({ data: { invoiceId: 'facture-é東', amountDue: 1, currency: 'EUR', daysOverdue: 1 } }))).toBe('ok');
    expect(codeOf(envelope(), '\ufeffsub-1')).toBe('KEY_MISMATCH');
  });
});

describe('decodeMessage of strings that are not well-formed Unicode', () => {
  // JSON.stringify writes a lone surrogate as the escape `\ud800`: the bytes are valid UTF-8, the string is not text.
  const data = (invoiceId: string) => ({ invoiceId, amountDue: 1, currency: 'EUR', daysOverdue: 1 });
  const reasonOf = (value: unknown) => {
    const decoded = decodeMessage(message(value), options, NOW);
    return decoded.ok ? 'ok' : `${decoded.error.code} ${decoded.error.message}`;
  };

  it.each([
    ['invoiceId', envelope({ data: data('inv-\ud800') }), /^SCHEMA_VIOLATION data\.invoiceId: must be well-formed Unicode/],
    ['invoiceId (a low surrogate)', envelope({ data: data('inv-\udc01') }), /^SCHEMA_VIOLATION data\.invoiceId: must be well-formed/],
    ['invoiceId (a pair reversed)', envelope({ data: data('inv-\ude80\ud83d') }), /^SCHEMA_VIOLATION data\.invoiceId: must be well/],
    ['eventId', envelope({ eventId: 'ev-\ud800' }), /^SCHEMA_VIOLATION eventId: must be well-formed Unicode \(no lone surrogate/],
    ['type', envelope({ type: 'payment.overdue\ud800' }), /^SCHEMA_VIOLATION type: must be well-formed Unicode/],
    ['subscriptionId', envelope({ subscriptionId: 'sub-\ud800' }), /^SCHEMA_VIOLATION subscriptionId: must be well-formed Unicode/],
    [
      'caseId',
      { ...envelope({ type: 'fraud.cleared', data: { caseId: 'case-\udbff' } }), topic: 'fraud.signals.v1' },
      /^SCHEMA_VIOLATION data\.caseId: must be well-formed Unicode/,
    ],
  ])('dead-letters a lone surrogate in %s with a reason naming the field, once', (_field, value, reason) => {
    const { topic, ...event } = value as Record<string, unknown>;
    const decoded = decodeMessage(message(event, 'sub-1', typeof topic === 'string' ? topic : undefined), options, NOW);
    const text = decoded.ok ? 'ok' : `${decoded.error.code} ${decoded.error.message}`;
    expect(text).toMatch(reason);
    // The well-formedness check stands alone: no second, misleading issue for the same field.
    expect(text.split('; ')).toHaveLength(1);
  });

  it('dead-letters a lone surrogate in requestedBy and ticketId', () => {
    const request = (requestedBy: string, ticketId?: string) =>
      message(envelope({ type: 'customer.resume-requested', data: { requestedBy, ticketId } }), 'sub-1', 'customer.requests.v1');
    for (const [value, field] of [
      [request('ann\ud800'), 'data.requestedBy'],
      [request('ann', 'T-\udfff'), 'data.ticketId'],
    ] as const) {
      const decoded = decodeMessage(value, options, NOW);
      expect(decoded.ok ? 'ok' : decoded.error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: must be well-formed Unicode`));
    }
  });

  it('keeps U+FFFD itself and surrogate pairs: they are well-formed text', () => {
    expect(reasonOf(envelope({ data: data('inv-\ufffd') }))).toBe('ok');
    expect(reasonOf(envelope({ data: data('inv-🚀-𠀀') }))).toBe('ok');
  });
});

describe('decodeMessage of invisible characters in ids and refs', () => {
  const data = (invoiceId: string) => ({ invoiceId, amountDue: 1, currency: 'EUR', daysOverdue: 1 });

  it.each([
    ['a zero-width space', '\u200b'],
    ['a byte-order mark (zero-width no-break space)', '\ufeff'],
    ['a soft hyphen', '\u00ad'],
    ['a word joiner', '\u2060'],
    ['a zero-width joiner', '\u200d'],
    ['a tag character', '\u{e0041}'],
    ['the language tag', '\u{e0001}'],
    ['an interlinear annotation anchor (Cf)', '\ufff9'],
    ['a Hangul filler', '\u3164'],
    ['a variation selector', '\ufe0f'],
  ])('dead-letters %s in invoiceId and in eventId, naming the field', (_name, char) => {
    for (const [value, field] of [
      [envelope({ data: data(`INV-1${char}`) }), 'data.invoiceId'],
      [envelope({ eventId: `evt-1${char}` }), 'eventId'],
    ] as const) {
      const decoded = decodeMessage(message(value), options, NOW);
      expect(decoded.ok ? 'ok' : `${decoded.error.code} ${decoded.error.message}`).toBe(
        `SCHEMA_VIOLATION ${field}: must not contain control, invisible (format) or bidirectional characters`,
      );
    }
  });

  it('refuses them in subscriptionId, customerId and tenantId too (the id pattern is ASCII)', () => {
    for (const field of ['subscriptionId', 'customerId', 'tenantId']) {
      expect(codeOf(envelope({ [field]: 'sub-1\u200b' }), field === 'subscriptionId' ? 'sub-1\u200b' : 'sub-1')).toBe('SCHEMA_VIOLATION');
    }
  });
});

describe('decodeMessage against injection', () => {
  it.each([
    [
      'a $-operator field in data',
      envelope({ data: { invoiceId: 'i', amountDue: 1, currency: 'EUR', daysOverdue: 1, $where: 'sleep(1)' } }),
    ],
    ['a dotted field name', envelope({ data: { invoiceId: 'i', amountDue: 1, currency: 'EUR', daysOverdue: 1, 'a.b': 1 } })],
    ['an operator at the top level', { ...envelope(), $set: { status: 'active' } }],
    ['absurd nesting', envelope({ data: JSON.parse(`${'{"x":'.repeat(40)}1${'}'.repeat(40)}`) as unknown })],
  ])('dead-letters %s', (_name, value) => {
    expect(codeOf(value)).toBe('SCHEMA_VIOLATION');
  });
});
