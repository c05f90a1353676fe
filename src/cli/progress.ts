/** Where progress goes: stderr, so stdout keeps only the command's result. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

export interface Progress {
  /** `total` when known (a bar and a percentage), else a running count. */
  update(done: number, total?: number): void;
  /** Ends the display with a final line. */
  finish(summary: string): void;
}

const BAR_WIDTH = 24;

/**
 * A bar redrawn in place on a terminal (at most every 100 ms); on a pipe or a file, a plain line at most once a
 * second, so a log stays readable. Both end with the summary on a line of its own.
 */
export function progress(stream: ProgressStream, label: string, clock: () => number = Date.now): Progress {
  const tty = stream.isTTY === true;
  const interval = tty ? 100 : 1_000;
  // Off a terminal the first line waits a second too: a quick run shows only its summary.
  let last = tty ? Number.NEGATIVE_INFINITY : clock();
  let drawn = false;
  const text = (done: number, total: number | undefined): string => {
    if (total === undefined || total <= 0) return `${label}: ${done}`;
    const ratio = Math.min(1, done / total);
    if (!tty) return `${label}: ${done}/${total} (${Math.floor(ratio * 100)}%)`;
    const filled = Math.round(ratio * BAR_WIDTH);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total}`;
  };
  return {
    update(done, total) {
      const now = clock();
      if (now - last < interval) return;
      last = now;
      if (tty) {
        const line = text(done, total);
        // Cut to the terminal's width: a wrapped line could not be redrawn in place (a pseudo-terminal may report 0 columns).
        const width = stream.columns ?? 0;
        stream.write(`\r\x1b[2K${width > 1 ? line.slice(0, width - 1) : line}`);
        drawn = true;
      } else {
        stream.write(`${text(done, total)}\n`);
      }
    },
    finish(summary) {
      stream.write(`${tty && drawn ? '\r\x1b[2K' : ''}${label}: ${summary}\n`);
    },
  };
}
