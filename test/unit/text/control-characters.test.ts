import { NO_UNSAFE_CHARACTERS, escapeControls, escapeJsonText, isWellFormedText } from '../../../src/control-characters';

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

/** Invisible (format, default-ignorable) characters: `INV-1` and `INV-1` + one of these look the same. */
const INVISIBLE = [
  '\u00ad', // soft hyphen
  '\u180e', // Mongolian vowel separator
  '\u200b', // zero-width space
  '\u200c',
  '\u200d',
  '\u2060', // word joiner
  '\u2064',
  '\u206f',
  '\ufeff', // byte-order mark, zero-width no-break space
  '\ufff9', // interlinear annotation anchor
  '\u034f', // combining grapheme joiner
  '\u3164', // Hangul filler
  '\ufe0f', // variation selector 16
  '\u0600', // Arabic number sign (Cf)
];
/** Tag characters, U+E0000–U+E007F: two UTF-16 units each. */
const TAGS = ['\u{e0000}', '\u{e0001}', '\u{e0041}', '\u{e007f}'];
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

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

describe('escapeControls of invisible characters and lone surrogates', () => {
  it.each(INVISIBLE)('writes the %#-th invisible character as a visible \\uXXXX', (char) => {
    expect(escapeControls(`INV-1${char}`)).toBe(`INV-1\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  });

  it.each(TAGS)('writes the %#-th tag character as one visible \\u{XXXXX}', (char) => {
    expect(escapeControls(`INV-1${char}`)).toBe(`INV-1\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
  });

  it.each(LONE_SURROGATES)('writes the lone surrogate %# as \\uXXXX (a terminal would show U+FFFD for each)', (char) => {
    expect(escapeControls(`ev-${char}`)).toBe(`ev-\\u${char.charCodeAt(0).toString(16)}`);
  });

  it('keeps surrogate pairs (emoji, CJK beyond the BMP) and is idempotent', () => {
    expect(escapeControls('🚀 𠀀')).toBe('🚀 𠀀');
    const once = escapeControls('a\u200b\u{e0041}\ud800\u001b');
    expect(escapeControls(once)).toBe(once);
    expect(NO_UNSAFE_CHARACTERS.test(once)).toBe(true);
  });
});

describe('isWellFormedText', () => {
  it('refuses lone surrogates and accepts pairs, as String.prototype.isWellFormed does', () => {
    for (const char of LONE_SURROGATES) expect(isWellFormedText(`inv-${char}`)).toBe(false);
    expect(isWellFormedText('inv-\ud83d')).toBe(false);
    expect(isWellFormedText('inv-\ude80\ud83d')).toBe(false);
    for (const text of ['inv-1', 'inv-\ufffd', '🚀', 'Zoë 東京']) expect(isWellFormedText(text)).toBe(true);
  });
});

describe('NO_UNSAFE_CHARACTERS', () => {
  it.each([...INVISIBLE, ...TAGS, ...LONE_SURROGATES])('refuses the %#-th invisible character or lone surrogate', (char) => {
    expect(NO_UNSAFE_CHARACTERS.test(`x${char}y`)).toBe(false);
  });

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

  it('escapes invisible and tag characters, as UTF-16 units, and keeps the same JSON value', () => {
    const value = { ref: 'INV-1\u200b\ufeff\u00ad\u2060', tag: 'x\u{e0041}', lone: 'ev-\ud800', emoji: '🚀' };
    const text = escapeJsonText(JSON.stringify(value, null, 2));
    expect(text).toContain('INV-1\\u200b\\ufeff\\u00ad\\u2060');
    expect(text).toContain('x\\udb40\\udc41');
    expect(text).toContain('🚀');
    expect(NO_UNSAFE_CHARACTERS.test(text.replace(/\n/g, ''))).toBe(true);
    expect(JSON.parse(text)).toEqual(value);
  });
});
