import { terminalSafeJson, visible } from '../../src/visible-text';

describe('terminal-safe output', () => {
  const hostile = 'key\u001b[2J\u0085\u202eexe.txt\u007f';

  it('spells out control and bidi characters in text', () => {
    expect(visible(hostile)).toBe('key\\u{1b}[2J\\u{85}\\u{202e}exe.txt\\u{7f}');
  });

  it('escapes what JSON.stringify leaves raw, and the document still parses to the same value', () => {
    const json = terminalSafeJson(JSON.stringify({ key: hostile }, null, 2));
    // eslint-disable-next-line no-control-regex -- none may remain, the pretty-printing's line breaks aside
    expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(json)).toEqual({ key: hostile });
  });
});
