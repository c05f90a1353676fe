/**
 * Characters that change how text reads rather than what it says: C0 and C1 controls, DEL, and the Unicode bidi
 * controls (an RLO can make `exe.txt` read as `txt.exe`). Shown as `\u{…}` so an operator sees they are there.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is matched
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control or bidi character spelled out as `\u{hex}`; safe to show in a page or a terminal. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

/** A classic hex dump (offset, 16 bytes in hex, printable ASCII or `.`), at most `maxBytes` of `bytes`. */
export function hexDump(bytes: Buffer, maxBytes = 4_096): string[] {
  const lines: string[] = [];
  const shown = bytes.subarray(0, maxBytes);
  for (let offset = 0; offset < shown.length; offset += 16) {
    const row = shown.subarray(offset, offset + 16);
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > shown.length) lines.push(`… ${bytes.length - shown.length} more bytes`);
  return lines;
}
