import type { LifecycleEventType } from '../domain';
import type { CertificateDocument } from './certificate';
import type { Envelope } from './envelope';
import type { LifecycleEnvelope } from './lifecycle';

// One complete message per event type (outbound eventIds are stable hashes, timer causations the deletion job's id), for docs/events.md and the AsyncAPI document. A unit test parses each with the
// schema the worker validates with, so an example can never drift from the contract.

const ids = { subscriptionId: 'sub-42', customerId: 'cust-7', tenantId: 'tenant-eu-1' } as const;

/** Inbound: what upstream systems produce, keyed by subscriptionId. */
export const inboundExamples: Record<string, Envelope> = {
  'payment.overdue': {
    eventId: 'billing-9f2c1e7a',
    type: 'payment.overdue',
    occurredAt: '2026-03-01T09:30:00Z',
    ...ids,
    data: { invoiceId: 'INV-2026-0113', amountDue: 129.9, currency: 'EUR', daysOverdue: 31 },
  },
  'payment.settled': {
    eventId: 'billing-4b8d0c21',
    type: 'payment.settled',
    occurredAt: '2026-03-04T15:02:11Z',
    ...ids,
    data: { invoiceId: 'INV-2026-0113' },
  },
  'fraud.detected': {
    eventId: 'fraud-case-5521-detected',
    type: 'fraud.detected',
    occurredAt: '2026-03-01T10:00:00+01:00',
    ...ids,
    data: { caseId: 'CASE-5521', score: 0.93 },
  },
  'fraud.cleared': {
    eventId: 'fraud-case-5521-cleared',
    type: 'fraud.cleared',
    occurredAt: '2026-03-02T08:45:00+01:00',
    ...ids,
    data: { caseId: 'CASE-5521' },
  },
  'customer.suspend-requested': {
    eventId: 'support-TKT-88120-suspend',
    type: 'customer.suspend-requested',
    occurredAt: '2026-03-05T11:20:00Z',
    ...ids,
    data: { requestedBy: 'admin@contoso.example', ticketId: 'TKT-88120' },
  },
  'customer.resume-requested': {
    eventId: 'support-TKT-88131-resume',
    type: 'customer.resume-requested',
    occurredAt: '2026-03-09T07:55:00Z',
    ...ids,
    data: { requestedBy: 'admin@contoso.example', ticketId: 'TKT-88131' },
  },
  'customer.cancel-requested': {
    eventId: 'support-TKT-88200-cancel',
    type: 'customer.cancel-requested',
    occurredAt: '2026-03-12T16:10:00Z',
    ...ids,
    data: { requestedBy: 'admin@contoso.example' },
  },
};

const nonpaymentHold = { reason: 'nonpayment' as const, since: '2026-03-01T09:30:00.000Z', refs: ['INV-2026-0113'] };
const suspended = {
  status: 'suspended' as const,
  accessLevel: 'admins-only' as const,
  holds: [nonpaymentHold],
  deletionDueAt: '2026-04-30T09:30:00.000Z',
};
const active = { status: 'active' as const, accessLevel: 'full' as const, holds: [], deletionDueAt: null };

/**
 * The example deletion certificate, signed by a key made for it and thrown away; its public key is
 * `EXAMPLE_CERTIFICATE_KEYS` (docs/deletion-proof.md verifies it with them, and a unit test keeps it verifiable).
 */
export const exampleCertificate: CertificateDocument = {
  certificate: {
    format: 'billing-enforcer.deletion-certificate.v1',
    certificateId: 'sub-42/1',
    keyId: 'example-2026',
    ...ids,
    policyVersion: 'default',
    policyHash: 'sha256:34bfe56983b19dee2dfd6cc23aa1b0f6b5e9213df8b8b3ff2b48c5ccba6c15ce',
    statusAtDeletion: 'suspended',
    suspendedAt: '2026-03-01T09:30:00.000Z',
    deletionAnnouncedFor: '2026-04-30T09:30:00.000Z',
    deletedAt: '2026-04-30T09:30:02.000Z',
    collections: [
      { collection: 'mailboxes', deleted: 12, remaining: 0 },
      { collection: 'files', deleted: 418, remaining: 0 },
    ],
    legalHolds: [],
    auditChain: { records: 4, head: 'sha256:2e23250164957d519115f2dd253384e487806e87cb3557eb1372b937dff93959' },
  },
  signature: 'F6fSnxTcVilOmNb5QesuGpDZYnPl7MSA-IuMjDZXExeRrCoidxeYXhbKtg5tBmmqT81ZMrhoLIRviD2y9tsIAg',
};

export const EXAMPLE_CERTIFICATE_KEYS = {
  keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'j7aejeoj1lTKPlMdnVg4Yui-HyQYr9QUmeBRNll4wWM', kid: 'example-2026', use: 'sig', alg: 'EdDSA' }],
} as const;

function lifecycle(type: LifecycleEventType, eventId: string, occurredAt: string, data: LifecycleEnvelope['data']): LifecycleEnvelope {
  return { eventId, type, occurredAt, ...ids, data };
}

/** Outbound on subscription.lifecycle.v1: what the worker publishes (one story: an overdue invoice, paid late). */
export const lifecycleExamples: Record<LifecycleEventType, LifecycleEnvelope> = {
  'subscription.suspended': lifecycle('subscription.suspended', 'HGXiAxexEPAnjy5KynzLZqcFIFm2KT4Y', '2026-03-01T09:30:00.000Z', {
    ...suspended,
    holds: [...suspended.holds],
    causationId: 'billing-9f2c1e7a',
  }),
  'subscription.hold-added': lifecycle('subscription.hold-added', 'Txx-ZNLRJnaMoMdqKjnqVoZVE6keS8uL', '2026-03-01T09:30:00.000Z', {
    ...suspended,
    holds: [...suspended.holds],
    causationId: 'billing-9f2c1e7a',
    holdReason: 'nonpayment',
  }),
  'subscription.deletion-scheduled': lifecycle(
    'subscription.deletion-scheduled',
    '8kQESYWhABeogO_LRt2ovbIPtXJ1mMHg',
    '2026-03-01T09:30:00.000Z',
    {
      ...suspended,
      holds: [...suspended.holds],
      causationId: 'billing-9f2c1e7a',
    },
  ),
  'subscription.deletion-reminder': lifecycle(
    'subscription.deletion-reminder',
    'SDHXr7RJO5gHtpLIjrUy3Ba2F-_Gkg7F',
    '2026-03-31T09:30:00.000Z',
    {
      ...suspended,
      holds: [...suspended.holds],
      causationId: 'd.1.sub-42',
      reminderOffset: 'P30D',
    },
  ),
  'subscription.hold-lifted': lifecycle('subscription.hold-lifted', 'l7m4jrFvEFmUbawUt4WL8Eg9NWoPIvdb', '2026-04-02T15:02:11.000Z', {
    ...active,
    holds: [],
    causationId: 'billing-4b8d0c21',
    holdReason: 'nonpayment',
  }),
  'subscription.reactivated': lifecycle('subscription.reactivated', 'Ip5rvCWMlp9TuJnFeOiYeJrfvlaSIOBg', '2026-04-02T15:02:11.000Z', {
    ...active,
    holds: [],
    causationId: 'billing-4b8d0c21',
  }),
  'subscription.deletion-cancelled': lifecycle(
    'subscription.deletion-cancelled',
    'xLqPymgw8VhOvi2ossojogthTkXPpfCI',
    '2026-04-02T15:02:11.000Z',
    {
      ...active,
      holds: [],
      causationId: 'billing-4b8d0c21',
    },
  ),
  'subscription.cancelled': lifecycle('subscription.cancelled', 'NoMQ-4gzlPogpVJliRTR173Ek_6nyFqa', '2026-03-12T16:10:00.000Z', {
    status: 'cancelled',
    accessLevel: 'admins-only',
    holds: [],
    deletionDueAt: '2026-05-11T16:10:00.000Z',
    causationId: 'support-TKT-88200-cancel',
  }),
  'subscription.data-deleted': lifecycle('subscription.data-deleted', 'xyGTahHKhYN-xY9RwHRhnP9Om2hG9-7X', '2026-04-30T09:30:02.000Z', {
    status: 'deleted',
    accessLevel: 'none',
    holds: [...suspended.holds],
    deletionDueAt: null,
    causationId: 'd.1.sub-42',
    deleted: [
      { collection: 'mailboxes', deleted: 12 },
      { collection: 'files', deleted: 418 },
    ],
    certificate: exampleCertificate,
  }),
};

const fence = (value: unknown): string => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');

/** The examples section of docs/events.md, between its `<!-- examples -->` markers. */
export function examplesMarkdown(): string {
  const sections = [
    '### Inbound',
    ...Object.entries(inboundExamples).map(
      ([type, message]) => `#### \`${type}\`\n\nKafka key: \`${message.subscriptionId}\`\n\n${fence(message)}`,
    ),
    '### Outbound (`subscription.lifecycle.v1`)',
    ...Object.entries(lifecycleExamples).map(
      ([type, message]) => `#### \`${type}\`\n\nKafka key: \`${message.subscriptionId}\`\n\n${fence(message)}`,
    ),
  ];
  return sections.join('\n\n');
}

const START = '<!-- examples:start (generated by npm run contract from src/contract/examples.ts) -->';
const END = '<!-- examples:end -->';

/** `markdown` with its examples section replaced by the current one. */
export function withExamples(markdown: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/events.md lacks the markers ${START} and ${END}`);
  return `${markdown.slice(0, start + START.length)}\n\n${examplesMarkdown()}\n\n${markdown.slice(end)}`;
}

export const EXAMPLE_MARKERS = { START, END } as const;
