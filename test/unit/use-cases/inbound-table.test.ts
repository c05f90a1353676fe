import { consumers } from '../../../consumers/routes';
import { INBOUND_SETTINGS, inboundTable } from '../../../src/use-cases/inbound-table';

describe('inboundTable', () => {
  const settings = {
    TOPIC_BILLING_PAYMENTS: 'pay.test',
    TOPIC_FRAUD_SIGNALS: 'fraud.test',
    TOPIC_CUSTOMER_REQUESTS: 'requests.test',
    MAX_MESSAGE_BYTES: 4_096,
    MAX_CLOCK_SKEW: 'PT5M',
  } as const;

  it('names each consumer by its configured topic, in the routing table order, with the decoder limits', () => {
    const table = inboundTable(settings);
    expect(table.topics).toEqual(['pay.test', 'fraud.test', 'requests.test']);
    expect([...table.decoder.routes]).toEqual(consumers.map((consumer) => [settings[consumer.topic], consumer]));
    expect(table.decoder.maxMessageBytes).toBe(4_096);
    expect(table.decoder.maxClockSkewMs).toBe(300_000);
  });

  it('lists every setting it reads, so the CLI asks for exactly those', () => {
    expect([...INBOUND_SETTINGS].sort()).toEqual(Object.keys(settings).sort());
  });
});
