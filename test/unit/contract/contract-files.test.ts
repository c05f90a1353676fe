import fs from 'node:fs';
import path from 'node:path';

import { contractFiles } from '../../../src/docs/asyncapi';

const dir = path.resolve(__dirname, '..', '..', '..', 'docs', 'contract');

describe('published contract (docs/contract)', () => {
  const files = contractFiles();

  it.each(Object.keys(files))('%s is up to date with the zod schemas (regenerate with npm run contract)', (name) => {
    expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe(files[name]);
  });

  it('has a schema for every inbound event type and the lifecycle topic', () => {
    expect(Object.keys(files).sort()).toEqual([
      'asyncapi.json',
      'customer.cancel-requested.v1.schema.json',
      'customer.resume-requested.v1.schema.json',
      'customer.suspend-requested.v1.schema.json',
      'deletion-certificate.v1.schema.json',
      'fraud.cleared.v1.schema.json',
      'fraud.detected.v1.schema.json',
      'payment.overdue.v1.schema.json',
      'payment.settled.v1.schema.json',
      'subscription.lifecycle.v1.schema.json',
    ]);
  });

  it('requires the envelope fields and pins the type in each inbound schema', () => {
    const schema = JSON.parse(files['fraud.detected.v1.schema.json'] ?? '{}') as {
      required: string[];
      properties: { type: { const: string } };
    };
    expect(schema.required).toEqual(
      expect.arrayContaining(['eventId', 'type', 'occurredAt', 'subscriptionId', 'customerId', 'tenantId', 'data']),
    );
    expect(schema.properties.type.const).toBe('fraud.detected');
  });
});
