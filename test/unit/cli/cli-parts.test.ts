import { InvalidArgumentError } from 'commander';
import { mongo } from 'mongoose';

import { operatorText, resolveWhen, when, wholeNumber } from '../../../src/cli/arguments';
import { CliError, EXIT, failureOf } from '../../../src/cli/exit-codes';
import { Output, redactText, table } from '../../../src/cli/output';
import { progress } from '../../../src/cli/progress';
import { AppError } from '../../../src/errors';
import { ReplayRefusedError } from '../../../src/use-cases/dead-letter-replay';
import { StackError } from '../../../tools/stack/processes';
import { redisFailure } from '../../../src/redis-errors';
import { mongoFailure } from '../../../src/storage/mongo-errors';

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) > 0 };
}

describe('CLI arguments', () => {
  it('takes a time as RFC 3339 or as a duration from now', () => {
    expect(resolveWhen(when('2026-03-01T00:00:00Z'), 0)).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(resolveWhen(when('2026-03-01T01:00:00+01:00'), 0)).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(resolveWhen(when('P7D'), 1_000)).toBe(1_000 + 7 * 86_400_000);
    for (const bad of ['tomorrow', 'P1M', '2026-03-01', '2026-13-01T00:00:00Z']) expect(() => when(bad)).toThrow(InvalidArgumentError);
  });

  it('bounds whole numbers and operator text', () => {
    expect(wholeNumber(1, 10)('10')).toBe(10);
    for (const bad of ['0', '11', '1.5', '-1', 'ten', '']) expect(() => wholeNumber(1, 10)(bad)).toThrow(InvalidArgumentError);
    expect(operatorText('litigation L-7')).toBe('litigation L-7');
    for (const bad of ['', '   ', 'a\nb', 'x'.repeat(501)]) expect(() => operatorText(bad)).toThrow(InvalidArgumentError);
  });
});

describe('CLI exit codes', () => {
  it('maps what commands throw to the documented codes', () => {
    const code = (error: unknown) => EXIT[failureOf(error)];
    expect(code(new CliError('notFound', 'x'))).toBe(3);
    expect(code(new CliError('refused', 'x'))).toBe(4);
    expect(code(new AppError('CONFIG_INVALID', 'x'))).toBe(78);
    expect(code(new AppError('DEPENDENCY_UNAVAILABLE', 'x'))).toBe(69);
    expect(code(new ReplayRefusedError('x'))).toBe(4);
    expect(code(new StackError('x'))).toBe(69);
    expect(code(new CliError('usage', 'x'))).toBe(2);
    expect(code(new CliError('config', 'x'))).toBe(78);
    expect(code(new CliError('unavailable', 'x'))).toBe(69);
    expect(code(new CliError('failure', 'x'))).toBe(1);
    expect(code(new AppError('KAFKA_AUTH_FAILED', 'x'))).toBe(78);
    expect(code(new AppError('SUBSCRIPTION_BUSY', 'x'))).toBe(69);
    // Driver errors get their code from the adapter that met them, never from their name or message here.
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(code(redisFailure(refused, { op: 'x' }))).toBe(69);
    expect(code(mongoFailure(new mongo.MongoNetworkError('x'), { op: 'x' }))).toBe(69);
    expect(code(refused)).toBe(1);
    expect(code(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' }))).toBe(1);
    expect(code(new TypeError('bug'))).toBe(1);
  });
});

describe('CLI output', () => {
  it('takes credentials out of every URL in a text', () => {
    expect(redactText('a mongodb://u:p@h1/db and redis://:pw@h2:1 here')).toBe(
      'a mongodb://[redacted]@h1/db and redis://[redacted]@h2:1 here',
    );
    expect(redactText('redis://h:6379 has none')).toBe('redis://h:6379 has none');
  });

  it('lays out columns', () => {
    expect(table(['A', 'BB'], [['xxx', 'y']])).toEqual(['A    BB', 'xxx  y']);
  });

  it('never writes a control or bidi character raw, in text or under --json', () => {
    const hostile = 'key\u001b]0;owned\u0007 ref\u009b31m \u202etxt.exe';
    const stdout = sink(false);
    const stderr = sink(false);
    new Output(false, stdout, stderr, () => 0).result({}, () => [hostile]);
    new Output(false, stdout, stderr, () => 0).note(hostile);
    new Output(true, stdout, stderr, () => 0).result({ key: hostile }, () => []);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must not appear
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;
    for (const text of [...stdout.written, ...stderr.written]) expect(text).not.toMatch(raw);
    expect(stdout.written[0]).toBe('key\\u001b]0;owned\\u0007 ref\\u009b31m \\u202etxt.exe\n');
    expect(JSON.parse(stdout.written[1] ?? '')).toEqual({ key: hostile });
  });

  it('refuses bidi characters in operator text', () => {
    expect(() => operatorText('erin\u202e')).toThrow(InvalidArgumentError);
  });

  it('refuses invisible characters and lone surrogates in operator text', () => {
    for (const bad of ['erin\u200b', '\ufefferin', 'er\u00adin', 'erin\u2060', 'erin\u{e0041}', 'erin\ud800']) {
      expect(() => operatorText(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('shows INV-1 and INV-1 + an invisible character apart, in text and under --json', () => {
    const refs = ['INV-1', 'INV-1\u200b', 'INV-1\ufeff', 'INV-\u00ad1', 'INV-1\u2060', 'INV-1\u{e0041}', 'INV-1\ud800'];
    const stdout = sink(false);
    new Output(false, stdout, sink(false), () => 0).result({}, () => [`holds: nonpayment [${refs.join(', ')}]`]);
    new Output(true, stdout, sink(false), () => 0).result({ refs }, () => []);
    expect(stdout.written[0]).toBe(
      'holds: nonpayment [INV-1, INV-1\\u200b, INV-1\\ufeff, INV-\\u00ad1, INV-1\\u2060, INV-1\\u{e0041}, INV-1\\ud800]\n',
    );
    for (const text of stdout.written) expect(text.replace(/\n/g, '')).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(stdout.written[1] ?? '')).toEqual({ refs });
  });

  it('pads table cells by what the terminal shows: an escaped invisible character counts in full', () => {
    const lines = table(
      ['REF', 'STATE'],
      [
        ['INV-1\u200b', 'open'],
        ['INV-1', 'paid'],
      ],
    );
    expect(lines).toEqual(['REF          STATE', 'INV-1\\u200b  open', 'INV-1        paid']);
  });
});

describe('progress', () => {
  it('writes plain lines at most once a second off a terminal (the first after a second), then the summary', () => {
    let now = 0;
    const stream = sink(false);
    const shown = progress(stream, 'replay', () => now);
    shown.update(1, 10);
    now = 1_000;
    shown.update(5, 10);
    now = 1_500;
    shown.update(8, 10);
    now = 2_000;
    shown.update(10, 10);
    shown.finish('10 replayed');
    expect(stream.written).toEqual(['replay: 5/10 (50%)\n', 'replay: 10/10 (100%)\n', 'replay: 10 replayed\n']);
  });

  it('redraws one bar in place on a terminal', () => {
    let now = 0;
    const stream = sink(true);
    const shown = progress(stream, 'scan', () => now);
    shown.update(12);
    now = 200;
    shown.update(6, 24);
    shown.finish('done');
    expect(stream.written[0]).toBe('\r\x1b[2Kscan: 12');
    expect(stream.written[1]).toBe(`\r\x1b[2Kscan [${'#'.repeat(6)}${'-'.repeat(18)}]  25% 6/24`);
    expect(stream.written[2]).toBe('\r\x1b[2Kscan: done\n');
  });
});
