import { ERROR_CODES, EXIT } from '../errors';

const EXIT_NAMES = new Map<number, string>(Object.entries(EXIT).map(([name, code]) => [code, name]));

function row(cells: readonly string[], widths: readonly number[]): string {
  return `| ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
}

/** docs/errors.md, from the table in src/errors.ts (`npm run docs:errors`); a unit test fails when the page is stale. */
export function errorsMarkdown(): string {
  const header = ['code', 'retried', 'HTTP', 'CLI exit', 'dead letter', 'meaning'];
  const rows = Object.entries(ERROR_CODES).map(([code, entry]) => [
    `\`${code}\``,
    entry.retriable ? 'yes' : 'no',
    String(entry.http),
    `${entry.exit} (${EXIT_NAMES.get(entry.exit) ?? '?'})`,
    entry.deadLetter ? 'yes' : 'no',
    entry.meaning,
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((cells) => (cells[index] ?? '').length)));
  return [
    '# Error codes',
    '',
    '<!-- Generated from the table in src/errors.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every failure the worker and the CLI handle carries one of these codes, given where it arises: the adapters map',
    "what MongoDB, Redis and Kafka drivers throw by the error's class or structured fields (`MongoNetworkError`, kafkajs's",
    '`retriable`, `ECONNREFUSED`), never by its message. The code alone decides whether the partition is retried',
    '(a retried fault pauses the partition and backs off; anything else counts towards isolating and dead-lettering the',
    'message that fails), the HTTP status an API request answers, and the exit status of a [CLI](cli.md#exit-codes)',
    'command. An error that carries no code is a bug: not retried, HTTP 500, exit 1. Dead letters carry the codes',
    'marked so in their `dlq.code` header ([events](events.md)).',
    '',
    row(header, widths),
    row(
      widths.map((width) => '-'.repeat(width)),
      widths,
    ),
    ...rows.map((cells) => row(cells, widths)),
    '',
  ].join('\n');
}
