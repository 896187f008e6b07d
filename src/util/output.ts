/**
 * Output conventions: stdout carries results only (with --json exactly one
 * JSON document); everything else (progress, logs, warnings) goes to stderr.
 */
import { format } from 'node:util';

/** Writes `value` as one JSON document (pretty, newline-terminated) on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

/** JSON.stringify replacer: typed arrays as arrays, bigint as number (or string if unsafe), Map/Set. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value) : value.toString();
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => jsonReplacer('', v));
  }
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** Writes a line to stderr (console.log-style formatting). */
export function log(...args: unknown[]): void {
  process.stderr.write(`${format(...args)}\n`);
}

/** Formats seconds as "42s", "3m05s" or "2h07m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressOptions {
  /** Where to draw; default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Non-TTY: seconds between plain progress lines (default 10). */
  intervalSeconds?: number;
  /** Redraw as one \r-updated line; default stream.isTTY. */
  tty?: boolean;
  /** Clock in ms, for tests; default performance.now. */
  now?: () => number;
}

export interface ProgressBar {
  /** Advances by `n` units (default 1); `info` is shown after the counts (e.g. "loss 0.31"). */
  tick(n?: number, info?: string): void;
  /** Sets the absolute count. */
  update(done: number, info?: string): void;
  /** Ends the bar with a final line (elapsed time); idempotent. */
  finish(info?: string): void;
}

/**
 * A progress indicator on stderr with ETA. On a TTY it redraws one line with
 * \r (at most 10 times a second); otherwise it prints a plain line every
 * `intervalSeconds` so logs stay readable. `total` 0 means unknown (no ETA).
 */
export function progressBar(label: string, total: number, opts: ProgressOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const now = opts.now ?? (() => performance.now());
  const intervalMs = (opts.intervalSeconds ?? 10) * 1000;
  const start = now();
  let done = 0;
  let lastDraw = -Infinity;
  let lastWidth = 0;
  let finished = false;

  const line = (info?: string, final = false): string => {
    const elapsed = (now() - start) / 1000;
    const parts = [label];
    if (total > 0) {
      const frac = Math.min(1, done / total);
      if (tty) {
        const width = 20;
        const filled = Math.round(frac * width);
        parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
      }
      parts.push(`${done}/${total}`, `${(frac * 100).toFixed(0)}%`);
      if (final) parts.push(`in ${formatDuration(elapsed)}`);
      else if (done > 0 && done < total) parts.push(`ETA ${formatDuration((elapsed / done) * (total - done))}`);
      else parts.push(formatDuration(elapsed));
    } else {
      parts.push(`${done}`, final ? `in ${formatDuration(elapsed)}` : formatDuration(elapsed));
    }
    if (info) parts.push(`| ${info}`);
    return parts.join(' ');
  };

  const draw = (info: string | undefined, force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < (tty ? 100 : intervalMs)) return;
    lastDraw = t;
    if (tty) {
      let text = line(info);
      const cols = stream.columns;
      if (cols && text.length >= cols) text = text.slice(0, cols - 1);
      stream.write(`\r${text}${' '.repeat(Math.max(0, lastWidth - text.length))}`);
      lastWidth = text.length;
    } else {
      stream.write(`${line(info)}\n`);
    }
  };
  // Non-TTY: the first plain line comes after one interval, not at once.
  if (!tty) lastDraw = start;

  return {
    tick(n = 1, info) {
      this.update(done + n, info);
    },
    update(value, info) {
      if (finished) return;
      done = value;
      draw(info, false);
    },
    finish(info) {
      if (finished) return;
      finished = true;
      const text = line(info, true);
      stream.write(tty ? `\r${text}${' '.repeat(Math.max(0, lastWidth - text.length))}\n` : `${text}\n`);
    },
  };
}
