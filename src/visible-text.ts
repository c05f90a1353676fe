/**
 * Characters that change how text reads rather than what it says: C0 and C1 controls, DEL, and the Unicode bidi
 * controls (an RLO can make `exe.txt` read as `txt.exe`; an ESC sequence can rewrite a terminal). Every human-facing
 * output (the console's pages, the CLI) shows them spelled out instead.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is matched
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control or bidi character spelled out as `\u{hex}`. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

// What JSON.stringify leaves raw inside strings: it escapes C0 controls itself (and its own line breaks must stay).
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text as `JSON.stringify` makes it, with the characters it leaves raw (DEL, C1 and bidi controls) written as
 * `\uXXXX` escapes too: the same document to a parser, harmless on a terminal.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(RAW_IN_JSON, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}
