// Characters a terminal or a page acts on rather than shows: C0, DEL and C1 controls (ESC, BEL, CSI U+009B) move the
// cursor or rewrite the screen; bidirectional controls and line separators reorder or split what a reader sees.
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** Text with none of the characters `escapeControls` escapes: for schemas of ids, refs and free text. */
export const NO_UNSAFE_CHARACTERS = new RegExp(`^[^${UNSAFE}]*$`);

const UNSAFE_CHARACTER = new RegExp(`[${UNSAFE}]`, 'g');
// What JSON.stringify leaves raw: it escapes C0 itself, and outside strings it writes only spaces and newlines.
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text for people (a terminal, a log line, a page): every control, bidi or line-separator character becomes a
 * visible `\uXXXX`, whatever the text's source (a Kafka key, a parser's error snippet, a stored ref).
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE_CHARACTER, unicodeEscape);
}

/** JSON text with the characters JSON.stringify leaves raw written as `\uXXXX`: the same JSON value, safe to print. */
export function escapeJsonText(json: string): string {
  return json.replace(RAW_IN_JSON, unicodeEscape);
}
