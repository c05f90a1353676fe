import { escapeControls, escapeJsonText } from '../control-characters';
import { redactUrl } from '../logging/logger';
import { progress, type Progress, type ProgressStream } from './progress';

export interface TextSink {
  write(text: string): boolean;
}

/** Every URL in a text with its credentials taken out: driver messages may quote a connection string. */
export function redactText(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, (url) => redactUrl(url));
}

/** A command's result on stdout (one JSON document under --json, text otherwise); everything else on stderr. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: TextSink,
    private readonly stderr: ProgressStream,
    private readonly clock: () => number,
  ) {}

  /**
   * The result: `document` under --json, else the lines `human` gives (built only when shown). Either way no control
   * or bidi character reaches the terminal raw: keys, reasons and refs come from Kafka and may carry ESC or U+202E.
   */
  result(document: unknown, human: () => readonly string[]): void {
    if (this.json) this.stdout.write(`${escapeJsonText(JSON.stringify(document, null, 2))}\n`);
    else for (const line of human()) this.stdout.write(`${escapeControls(line)}\n`);
  }

  /** A remark on the way (which stack, what is being started): stderr, so it never mixes with the result. */
  note(line: string): void {
    this.stderr.write(`${escapeControls(line)}\n`);
  }

  progress(label: string): Progress {
    return progress(this.stderr, label, this.clock);
  }
}

/**
 * Text columns padded to their widest cell; the last column is not padded. Cells are escaped first (escapeControls),
 * so a ref with an invisible character is padded by what the terminal shows: `INV-1\u200b`, not an `INV-1` one short.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows].map((row) => row.map(escapeControls));
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export const iso = (ms: number): string => new Date(ms).toISOString();
