import { checkCorrection } from '../../../src/contract/replay-correction';

const event = (overrides: Record<string, unknown> = {}) => ({
  eventId: 'evt-1',
  type: 'fraud.detected',
  occurredAt: '2026-06-01T11:00:00Z',
  subscriptionId: 'sub-1',
  customerId: 'cust-1',
  tenantId: 'tenant-1',
  data: { caseId: 'case-1', score: 'high' },
  ...overrides,
});
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('checkCorrection', () => {
  it('lets a correction fix what failed validation and keep the identity', () => {
    expect(checkCorrection(bytes(event()), bytes(event({ data: { caseId: 'case-1', score: 0.9 } })))).toBeNull();
  });

  it.each(['eventId', 'type', 'subscriptionId', 'tenantId', 'customerId'])('refuses a correction that changes %s', (field) => {
    const changed = field === 'type' ? 'fraud.cleared' : 'other-1';
    expect(checkCorrection(bytes(event()), bytes(event({ [field]: changed })))).toMatch(new RegExp(`^changes ${field} from `));
  });

  it('refuses turning an unrelated malformed fraud letter into a fraud.cleared under a new eventId', () => {
    const original = Buffer.from('{"eventId":"evt-9","type":"fraud.detected","subscriptionId":"sub-1","data":{"caseId":');
    const forged = bytes(event({ eventId: 'forged-1', type: 'fraud.cleared', data: { caseId: 'case-1' } }));
    expect(checkCorrection(original, forged)).toMatch(/^sets eventId to "forged-1", which the original/);
    const repaired = bytes(event({ eventId: 'evt-9', type: 'fraud.detected', data: { caseId: 'case-1', score: 0.9 } }));
    expect(checkCorrection(original.toString() + '"case-1","score":0.9},"tenantId":"tenant-1","customerId":"cust-1"', repaired)).toBeNull();
  });

  it('lets a field that failed validation change, and refuses a value that is not a JSON object', () => {
    expect(checkCorrection(bytes(event({ eventId: 'evt\u202e1' })), bytes(event({ eventId: 'evt-1' })))).toBeNull();
    expect(checkCorrection(bytes(event({ tenantId: undefined })), bytes(event()))).toBeNull();
    expect(checkCorrection(bytes(event()), Buffer.from('[1]'))).toBe('is not a JSON object');
    expect(checkCorrection(null, bytes(event()))).toMatch(/cannot be checked/);
  });
});
