import { NO_UNSAFE_CHARACTERS, escapeControls, escapeJsonText } from '../../../src/control-characters';

const UNSAFE = [
  '\u0000',
  '\u0007',
  '\u001b',
  '\n',
  '\r',
  '\t',
  '\u007f',
  '\u0080',
  '\u009b',
  '\u009f',
  '\u061c',
  '\u200e',
  '\u200f',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202e',
  '\u2066',
  '\u2069',
];

describe('escapeControls', () => {
  it.each(UNSAFE)('writes U+%#-th unsafe character as a visible \\uXXXX', (char) => {
    const escaped = escapeControls(`a${char}b`);
    expect(escaped).toBe(`a\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}b`);
    expect(NO_UNSAFE_CHARACTERS.test(escaped)).toBe(true);
  });

  it('keeps printable text, accents, CJK and emoji as they are', () => {
    const text = 'Zoë 東京 🚀 inv-1/ab_c.d ~!@#$%^&*()';
    expect(escapeControls(text)).toBe(text);
  });

  it('escapes an ANSI sequence from a Kafka key and a BEL from a parser snippet', () => {
    expect(escapeControls('sub\u001b[2J\u0007')).toBe('sub\\u001b[2J\\u0007');
  });
});

describe('NO_UNSAFE_CHARACTERS', () => {
  it.each(UNSAFE)('refuses the %#-th unsafe character', (char) => {
    expect(NO_UNSAFE_CHARACTERS.test(`x${char}y`)).toBe(false);
  });

  it('accepts printable text', () => {
    expect(NO_UNSAFE_CHARACTERS.test('Zoë 東京 inv-1')).toBe(true);
  });
});

describe('escapeJsonText', () => {
  it('escapes what JSON.stringify leaves raw and keeps the same JSON value', () => {
    const value = { key: 'a\u009b31mb\u202ec\u007f', c0: '\u001b' };
    const text = escapeJsonText(JSON.stringify(value, null, 2));
    expect(NO_UNSAFE_CHARACTERS.test(text.replace(/\n/g, ''))).toBe(true);
    expect(JSON.parse(text)).toEqual(value);
  });
});
