import { createLogger } from '../../../src/logging/logger';

describe('logs', () => {
  it('write C1, bidi and line-separator characters as \\uXXXX, keeping each line the same JSON value', () => {
    const lines: string[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(line) });
    const key = 'sub\u009b31m\u202eexe\u2028\u001b';
    logger.warn({ key }, `bad key ${key}`);
    expect(lines).toHaveLength(1);
    const [line = ''] = lines;
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must not be written raw
    expect(line.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029]/);
    expect(JSON.parse(line)).toMatchObject({ key, msg: `bad key ${key}` });
  });

  it('write invisible (format, tag) characters and lone surrogates as \\uXXXX too: INV-1 and INV-1 + U+200B read apart', () => {
    const lines: string[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(line) });
    const ref = 'INV-1\u200b\ufeff\u00ad\u2060\u{e0041}\ud800';
    logger.warn({ ref }, `ref ${ref}`);
    const [line = ''] = lines;
    expect(line.trimEnd()).toMatch(/^[\x20-\x7e]*$/);
    expect(line).toContain('INV-1\\u200b\\ufeff\\u00ad\\u2060\\udb40\\udc41\\ud800');
    expect(JSON.parse(line)).toMatchObject({ ref, msg: `ref ${ref}` });
  });
});
