import { JobIdSet } from '../../../src/use-cases/job-id-set';

describe('JobIdSet', () => {
  it('knows every id added, across growth and interleaved lookups, and not others', () => {
    const set = new JobIdSet();
    expect(set.has('d.1.sub-0')).toBe(false);
    for (let index = 0; index < 5_000; index += 1) {
      set.add(`d.1.sub-${index}`);
      if (index % 1_000 === 0) expect(set.has(`d.1.sub-${index}`)).toBe(true);
    }
    for (let index = 0; index < 5_000; index += 1) expect(set.has(`d.1.sub-${index}`)).toBe(true);
    expect(set.has('d.2.sub-1')).toBe(false);
    expect(set.has('d.1.sub-5000')).toBe(false);
  });
});
