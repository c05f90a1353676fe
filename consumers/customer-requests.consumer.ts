import { z } from 'zod';

import { refSchema } from '../src/contract/envelope';
import { on, type EventConsumer } from './consumer';

export const customerRequestData = z.object({ requestedBy: refSchema, ticketId: refSchema.optional() });

/** Support: the customer asked to suspend, resume or cancel. */
export const customerRequestsConsumer: EventConsumer = {
  name: 'customer-requests',
  topic: 'TOPIC_CUSTOMER_REQUESTS',
  defaultTopic: 'customer.requests.v1',
  events: {
    'customer.suspend-requested': on(customerRequestData, 'Place the customer hold.', (data) => ({ type: 'suspend-requested', ...data })),
    'customer.resume-requested': on(customerRequestData, 'Lift the customer hold.', (data) => ({ type: 'resume-requested', ...data })),
    'customer.cancel-requested': on(customerRequestData, 'Cancel the subscription (final; data is deleted when due).', (data) => ({
      type: 'cancel-requested',
      ...data,
    })),
  },
};
