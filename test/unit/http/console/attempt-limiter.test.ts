import { AttemptLimiter } from '../../../../src/http/console/attempt-limiter';
import { hexDump, visible } from '../../../../src/http/console/text';

describe('AttemptLimiter', () => {
  it('admits `limit` attempts per client per window, then refuses with the seconds left', () => {
    let now = 0;
    const limiter = new AttemptLimiter(3, 60_000, () => now);
    for (let attempt = 0; attempt < 3; attempt++) expect(limiter.take('10.0.0.1')).toEqual({ ok: true });
    now = 15_000;
    expect(limiter.take('10.0.0.1')).toEqual({ ok: false, retryAfterSeconds: 45 });
    // Another client has a window of its own.
    expect(limiter.take('10.0.0.2')).toEqual({ ok: true });
    now = 60_000;
    expect(limiter.take('10.0.0.1')).toEqual({ ok: true });
  });
});

describe('console text helpers', () => {
  it('spells out C0, C1 and bidi controls, and leaves other text alone', () => {
    expect(visible('a\u0000b\u001b[31mc\u0085d\u202eexe.txt\u2066')).toBe('a\\u0000b\\u001b[31mc\\u0085d\\u202eexe.txt\\u2066');
    expect(visible('café ✓ 日本')).toBe('café ✓ 日本');
  });

  it('dumps bytes as offset, hex and printable ASCII', () => {
    expect(hexDump(Buffer.from('{"a":1}\n\u0000', 'utf8'))).toEqual([
      '00000000  7b 22 61 22 3a 31 7d 0a 00                       {"a":1}..',
    ]);
    expect(hexDump(Buffer.alloc(40), 16)).toHaveLength(2);
  });
});
