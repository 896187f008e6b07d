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
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
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

/** "[#######.............]": a 20-character bar for a fraction done. */
export function barText(frac: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, frac)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * The one progress display: a block of status lines on stderr. On a TTY it is redrawn in place (at most 10 times
 * a second), with log lines printed above it; otherwise the block is printed as plain lines every
 * `intervalSeconds`, so logs stay readable.
 */
export class StatusBlock {
  readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private lines: string[] = [];
  private drawn = 0;
  private lastDraw: number;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.stream.isTTY);
    this.now = opts.now ?? (() => performance.now());
    this.intervalMs = (opts.intervalSeconds ?? 10) * 1000;
    // non-TTY: the first plain block comes after one interval, not at once
    this.lastDraw = this.tty ? -Infinity : this.now();
  }

  /** Replaces the status lines; drawn when the last draw is old enough (or `force`). */
  set(lines: string[], force = false): void {
    this.lines = lines;
    const t = this.now();
    if (!force && t - this.lastDraw < (this.tty ? 100 : this.intervalMs)) return;
    this.lastDraw = t;
    this.clear();
    const cols = this.stream.columns > 20 ? this.stream.columns : Infinity; // a pty may report 0
    this.stream.write(`${lines.map((l) => (this.tty && l.length >= cols ? l.slice(0, cols - 1) : l)).join('\n')}\n`);
    if (this.tty) this.drawn = lines.length;
  }

  /** A log line above the status block. */
  print(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
    if (this.tty && this.lines.length) this.set(this.lines, true);
  }

  /** Removes the block and writes these final lines. */
  finish(lines: string[]): void {
    this.clear();
    this.lines = [];
    this.stream.write(`${lines.join('\n')}\n`);
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.stream.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }
}

export interface ProgressBar {
  /** Advances by `n` units (default 1); `info` is shown after the counts (e.g. "loss 0.31"). */
  tick(n?: number, info?: string): void;
  /** Sets the absolute count. */
  update(done: number, info?: string): void;
  /** Ends the bar with a final line (elapsed time); idempotent. */
  finish(info?: string): void;
}

/** A one-line progress indicator with ETA (a StatusBlock of one line). `total` 0 means unknown (no ETA). */
export function progressBar(label: string, total: number, opts: ProgressOptions = {}): ProgressBar {
  const block = new StatusBlock(opts);
  const now = opts.now ?? (() => performance.now());
  const start = now();
  let done = 0;
  let finished = false;

  const line = (info?: string, final = false): string => {
    const elapsed = (now() - start) / 1000;
    const parts = [label];
    if (total > 0) {
      const frac = Math.min(1, done / total);
      if (block.tty) parts.push(barText(frac));
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

  return {
    tick(n = 1, info) {
      this.update(done + n, info);
    },
    update(value, info) {
      if (finished) return;
      done = value;
      block.set([line(info)]);
    },
    finish(info) {
      if (finished) return;
      finished = true;
      block.finish([line(info, true)]);
    },
  };
}
