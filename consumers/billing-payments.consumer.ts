import { z } from 'zod';

import { refSchema, text } from '../src/contract/envelope';
import { on, type EventConsumer } from './consumer';

export const paymentOverdueData = z.object({
  invoiceId: refSchema,
  amountDue: z.number().nonnegative(),
  currency: text().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  daysOverdue: z.number().int().nonnegative().max(36_500),
});

export const paymentSettledData = z.object({ invoiceId: refSchema });

/** Billing: an overdue invoice adds to the nonpayment hold; settling it removes it. */
export const billingPaymentsConsumer: EventConsumer = {
  name: 'billing-payments',
  topic: 'TOPIC_BILLING_PAYMENTS',
  defaultTopic: 'billing.payments.v1',
  events: {
    'payment.overdue': on(paymentOverdueData, 'An invoice is overdue: add it to the nonpayment hold.', (data) => ({
      type: 'invoice-overdue',
      ...data,
    })),
    'payment.settled': on(paymentSettledData, 'An invoice was paid: remove it from the nonpayment hold.', (data) => ({
      type: 'invoice-settled',
      invoiceId: data.invoiceId,
    })),
  },
};
