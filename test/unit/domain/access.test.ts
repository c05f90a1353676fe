import { STATUSES, accessLevelOf, mayAccess, type AccessLevel, type Role, type Status } from '../../../src/domain';

describe('accessLevelOf', () => {
  const expected: Record<Status, AccessLevel> = {
    active: 'full',
    suspended: 'admins-only',
    cancelled: 'admins-only',
    deleted: 'none',
  };

  it.each(STATUSES)('%s', (status) => {
    expect(accessLevelOf(status)).toBe(expected[status]);
  });

  it('covers every status', () => {
    expect([...STATUSES].sort()).toEqual(Object.keys(expected).sort());
  });
});

describe('mayAccess', () => {
  it.each([
    ['user', 'full', true],
    ['admin', 'full', true],
    ['user', 'admins-only', false],
    ['admin', 'admins-only', true],
    ['user', 'none', false],
    ['admin', 'none', false],
  ] as const satisfies readonly (readonly [Role, AccessLevel, boolean])[])('%s with %s access: %s', (role, level, allowed) => {
    expect(mayAccess(role, level)).toBe(allowed);
  });

  it.each(STATUSES)('a user signs in to a %s subscription only when it is active', (status) => {
    expect(mayAccess('user', accessLevelOf(status))).toBe(status === 'active');
  });

  it.each(STATUSES)('an admin signs in to a %s subscription unless it is deleted', (status) => {
    expect(mayAccess('admin', accessLevelOf(status))).toBe(status !== 'deleted');
  });
});
