import fs from 'node:fs';
import path from 'node:path';

import { asyncApiDocument } from '../../../src/docs/asyncapi';
import { errorsMarkdown } from '../../../src/docs/error-docs';
import { AppError, classOf, ERROR_CODES, EXIT, type ErrorCode } from '../../../src/errors';

const entries = Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][];

describe('the error table (src/errors.ts)', () => {
  it('gives every code a retry decision, an HTTP error status, a documented exit code and a meaning', () => {
    const exits = new Set<number>(Object.values(EXIT));
    for (const [code, entry] of entries) {
      expect({ code, retriable: typeof entry.retriable, deadLetter: typeof entry.deadLetter }).toEqual({
        code,
        retriable: 'boolean',
        deadLetter: 'boolean',
      });
      expect({ code, http: entry.http >= 400 && entry.http <= 599 }).toEqual({ code, http: true });
      expect({ code, exit: exits.has(entry.exit) && entry.exit !== EXIT.ok }).toEqual({ code, exit: true });
      expect(entry.meaning.length).toBeGreaterThan(0);
    }
  });

  it('agrees with itself: a retried code answers 503 and exits 69; a dead-letter reason is never retried', () => {
    for (const [code, entry] of entries) {
      if (entry.retriable) expect({ code, http: entry.http, exit: entry.exit }).toEqual({ code, http: 503, exit: EXIT.unavailable });
      if (entry.deadLetter) expect({ code, retriable: entry.retriable }).toEqual({ code, retriable: false });
    }
  });

  it('leaves no exit code without an error code that leads to it', () => {
    const used = new Set<number>(entries.map(([, entry]) => entry.exit));
    expect(Object.values(EXIT).filter((exit) => exit !== EXIT.ok && !used.has(exit))).toEqual([]);
  });

  it('classifies by code only: an AppError by its own, anything else as a bug', () => {
    expect(classOf(new AppError('DEPENDENCY_UNAVAILABLE', 'x'))).toBe(ERROR_CODES.DEPENDENCY_UNAVAILABLE);
    expect(new AppError('NOT_FOUND', 'x').retriable).toBe(false);
    // The message is never read: an outage told in words is still a bug until an adapter gives it a code.
    const lookalike = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoNetworkError' });
    expect(classOf(lookalike)).toBe(ERROR_CODES.INTERNAL);
  });

  it("is the dead-letter contract's list of codes", () => {
    const documents = JSON.stringify(asyncApiDocument());
    const reasons = entries.filter(([, entry]) => entry.deadLetter).map(([code]) => code);
    expect(documents).toContain(JSON.stringify(reasons));
  });
});

describe('docs/errors.md', () => {
  it('is up to date with the table (regenerate with npm run docs:errors)', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'errors.md');
    expect(fs.readFileSync(file, 'utf8')).toBe(errorsMarkdown());
  });

  it('lists every code with its status and exit code', () => {
    const markdown = errorsMarkdown();
    for (const [code, entry] of entries)
      expect(markdown).toMatch(new RegExp(`\\| \`${code}\` +\\| (yes|no) +\\| ${entry.http} +\\| ${entry.exit} `));
  });
});
