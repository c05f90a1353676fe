import fc from 'fast-check';

import { canonicalJson } from '../../../src/domain';

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }], A: 'x', é: 0, '\u{1f600}': 1, '\uffff': 2 })).toBe(
      '{"A":"x","a":[{"y":null,"z":true}],"b":1,"é":0,"\u{1f600}":1,"\uffff":2}',
    );
  });

  it('is the same text whatever order the keys were written in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
        expect(JSON.parse(canonicalJson(record))).toEqual(record);
      }),
    );
  });

  it('escapes strings as JSON.stringify does (RFC 8785), lone surrogates included', () => {
    expect(canonicalJson('a"\\\n\u0001\u2028\ud800')).toBe('"a\\"\\\\\\n\\u0001\u2028\\ud800"');
  });

  it('leaves out properties that are undefined, and writes -0 as 0', () => {
    expect(canonicalJson({ a: undefined, b: -0 })).toBe('{"b":0}');
  });

  it.each([
    ['a fraction', { at: 1.5 }, '$.at is 1.5'],
    ['NaN', [Number.NaN], '$[0] is NaN'],
    ['an infinity', { x: { y: Infinity } }, '$.x.y is Infinity'],
    ['an integer beyond 2^53', 2 ** 53, 'not a safe integer'],
    ['undefined in an array', [1, undefined], '$[1] is undefined'],
    ['a Date', { at: new Date(0) }, '$.at is not a plain object'],
    ['a bigint', { n: 1n }, '$.n is a bigint'],
  ])('refuses %s instead of guessing its spelling', (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });
});
