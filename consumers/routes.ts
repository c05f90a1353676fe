import { billingPaymentsConsumer } from './billing-payments.consumer';
import type { EventConsumer } from './consumer';
import { customerRequestsConsumer } from './customer-requests.consumer';
import { fraudSignalsConsumer } from './fraud-signals.consumer';

/** Every inbound event source the worker subscribes to. */
export const consumers: readonly EventConsumer[] = [billingPaymentsConsumer, fraudSignalsConsumer, customerRequestsConsumer];
