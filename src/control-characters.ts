// Characters a terminal or a page acts on, or draws as nothing, rather than shows:
// - controls (Cc: C0, DEL, C1): ESC, BEL and CSI (U+009B) move the cursor or rewrite the screen;
// - line and paragraph separators (Zl, Zp) split what a reader sees;
// - format characters (Cf), bidirectional controls among them (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069):
//   they reorder text, or are invisible (U+200B, U+FEFF, U+00AD, U+2060), so `INV-1` and `INV-1` + U+200B look alike;
// - the other default-ignorable code points (variation selectors, U+3164 and the other fillers) and the whole tag block
//   U+E0000–U+E007F: drawn as nothing too;
// - lone surrogates (Cs): not text at all; UTF-8 cannot encode one, so a store keeps U+FFFD and `\ud800`, `\ud801`
//   become one id. (A surrogate pair is one code point under the `u` flag, never Cs.)
const UNSAFE = String.raw`\p{Cc}\p{Zl}\p{Zp}\p{Cf}\p{Default_Ignorable_Code_Point}\u{E0000}-\u{E007F}\p{Cs}`;

/** Text with none of the characters `escapeControls` escapes: for schemas of ids, refs and free text. */
export const NO_UNSAFE_CHARACTERS = new RegExp(`^[^${UNSAFE}]*$`, 'u');

/** What schemas say when NO_UNSAFE_CHARACTERS refuses a text. */
export const UNSAFE_CHARACTERS_MESSAGE = 'must not contain control, invisible (format) or bidirectional characters';

/** The check String.prototype.isWellFormed makes (ES2024, beyond this project's `lib`): no lone surrogate. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether a string is well-formed Unicode: JSON's `"\ud800"` escape parses to a lone surrogate, valid bytes or not. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

const UNSAFE_CHARACTER = new RegExp(`[${UNSAFE}]`, 'gu');
// What JSON.stringify leaves raw: it escapes C0 (and lone surrogates) itself, and outside strings it writes only
// spaces and newlines, which must stay as they are.
const RAW_IN_JSON = new RegExp(`(?![\\u0000-\\u001f])[${UNSAFE}]`, 'gu');

const hex4 = (unit: number): string => `\\u${unit.toString(16).padStart(4, '0')}`;

/** One `\uXXXX` per UTF-16 unit: what a JSON string (or a JavaScript one) reads back as the same character. */
const utf16Escape = (char: string): string => Array.from({ length: char.length }, (_, index) => hex4(char.charCodeAt(index))).join('');

/** `\uXXXX`, or `\u{XXXXX}` beyond the BMP (a tag character), for a reader rather than a parser. */
const readableEscape = (char: string): string => {
  const codePoint = char.codePointAt(0) ?? 0;
  return codePoint > 0xffff ? `\\u{${codePoint.toString(16)}}` : hex4(codePoint);
};

/**
 * Text for people (a terminal, a log line, a page): every control, format (invisible or bidi), line-separator or
 * lone-surrogate character becomes a visible `\uXXXX`, whatever the text's source (a Kafka key, a parser's error
 * snippet, a stored ref). Idempotent: what it writes is ASCII.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE_CHARACTER, readableEscape);
}

/** JSON text with the characters JSON.stringify leaves raw written as `\uXXXX`: the same JSON value, safe to print. */
export function escapeJsonText(json: string): string {
  return json.replace(RAW_IN_JSON, utf16Escape);
}
