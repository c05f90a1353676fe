import { randomUUID } from 'node:crypto';

/** Inbound v1 messages as upstream producers send them (JSON text, key = subscriptionId). */
export interface Ids {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly tenantId: string;
}

export function newIds(prefix = 'sub'): Ids {
  const suffix = randomUUID().slice(0, 8);
  return { subscriptionId: `${prefix}-${suffix}`, customerId: `cust-${suffix}`, tenantId: 'tenant-a' };
}

export interface EventOptions {
  readonly eventId?: string;
  readonly occurredAt?: string;
}

export function inboundEvent(
  ids: Ids,
  type: string,
  data: Record<string, unknown>,
  options: EventOptions = {},
): { key: string; value: string; eventId: string } {
  const eventId = options.eventId ?? randomUUID();
  const value = JSON.stringify({ eventId, type, occurredAt: options.occurredAt ?? new Date().toISOString(), ...ids, data });
  return { key: ids.subscriptionId, value, eventId };
}

export const paymentOverdue = (ids: Ids, invoiceId: string, options?: EventOptions) =>
  inboundEvent(ids, 'payment.overdue', { invoiceId, amountDue: 120.5, currency: 'EUR', daysOverdue: 14 }, options);
export const paymentSettled = (ids: Ids, invoiceId: string, options?: EventOptions) =>
  inboundEvent(ids, 'payment.settled', { invoiceId }, options);
export const fraudDetected = (ids: Ids, caseId: string, score: number, options?: EventOptions) =>
  inboundEvent(ids, 'fraud.detected', { caseId, score }, options);
export const fraudCleared = (ids: Ids, caseId: string, options?: EventOptions) => inboundEvent(ids, 'fraud.cleared', { caseId }, options);
export const suspendRequested = (ids: Ids, options?: EventOptions) =>
  inboundEvent(ids, 'customer.suspend-requested', { requestedBy: 'jane@customer.example', ticketId: 'T-1' }, options);
export const resumeRequested = (ids: Ids, options?: EventOptions) =>
  inboundEvent(ids, 'customer.resume-requested', { requestedBy: 'jane@customer.example' }, options);
export const cancelRequested = (ids: Ids, options?: EventOptions) =>
  inboundEvent(ids, 'customer.cancel-requested', { requestedBy: 'jane@customer.example' }, options);
