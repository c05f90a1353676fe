import { billingPaymentsConsumer } from './billing-payments.consumer';
import type { EventConsumer } from './consumer';
import { customerRequestsConsumer } from './customer-requests.consumer';
import { fraudSignalsConsumer } from './fraud-signals.consumer';

/** Every inbound event source the worker subscribes to. */
export const consumers: readonly EventConsumer[] = [billingPaymentsConsumer, fraudSignalsConsumer, customerRequestsConsumer];

/** Every inbound event type, over all sources: the values metrics may label an event with. */
export const eventTypes: readonly string[] = consumers.flatMap((consumer) => Object.keys(consumer.events));
