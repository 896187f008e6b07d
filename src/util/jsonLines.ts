/**
 * Reading a JSON-lines file with bounds: a regular file only (util/boundedRead.ts), at most `maxBytes` in all, read
 * in chunks so that memory holds one line at a time, and a line longer than `maxLineBytes` skipped without being
 * held (a 600 MB line is a damaged file, not a record). Text after the last newline is a torn line (a writer killed
 * mid-write), reported apart.
 */
import { closeSync } from 'node:fs';
import { UserError } from './errors.js';
import { openRegularFile, readFully } from './boundedRead.js';

export interface JsonLinesLimits {
  what: string;
  maxBytes: number;
  maxLineBytes: number;
}

export interface JsonLine {
  /** 1-based */
  line: number;
  /** the line's text; null when it was longer than maxLineBytes (its length is in `bytes`) */
  text: string | null;
  bytes: number;
}

export interface JsonLinesScan {
  /** byte length of the complete lines: where a torn tail starts */
  completeBytes: number;
  /** the text after the last newline, when it is not blank (a torn line), else null */
  tail: string | null;
}

const CHUNK = 1 << 20;
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** Calls `onLine` for every complete line of `file` (blank ones too, with their text). */
export function scanJsonLines(file: string, limits: JsonLinesLimits, onLine: (l: JsonLine) => void): JsonLinesScan {
  const { fd, size } = openRegularFile(file, limits.what);
  try {
    if (size > limits.maxBytes) throw new UserError(`${limits.what} ${file} is too large (${mib(size)}; at most ${mib(limits.maxBytes)} is read)`);
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(1, size)));
    let parts: Buffer[] = [];
    let held = 0;
    let bytes = 0;
    let line = 1;
    let pos = 0;
    let completeBytes = 0;
    for (;;) {
      const n = readFully(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl >= 0 && nl < n; nl = buf.indexOf(0x0a, start)) {
        const piece = buf.subarray(start, nl);
        bytes += piece.length;
        const long = bytes > limits.maxLineBytes;
        const text = long ? null : Buffer.concat([...parts, piece]).toString('utf8');
        onLine({ line, text, bytes });
        parts = [];
        held = 0;
        bytes = 0;
        line++;
        start = nl + 1;
        completeBytes = pos + start;
      }
      const rest = buf.subarray(start, n);
      bytes += rest.length;
      if (bytes <= limits.maxLineBytes) {
        parts.push(Buffer.from(rest));
        held += rest.length;
      } else if (held > 0) {
        parts = []; // too long to be a record: counted, not kept
        held = 0;
      }
      pos += n;
    }
    const tail = bytes > limits.maxLineBytes ? `(${mib(bytes)} without a newline)` : Buffer.concat(parts).toString('utf8');
    return { completeBytes, tail: tail.trim() === '' ? null : tail };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${limits.what} ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
