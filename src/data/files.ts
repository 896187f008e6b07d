/**
 * Small file helpers shared by the loaders: reading with user-facing errors,
 * gunzip, and recognising foreign files for clear messages.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { UserError } from '../util/errors.js';

/** Reads a whole file; a missing or unreadable file is a UserError naming it. */
export function readFileOrThrow(file: string, what = 'file', hint = ''): Buffer {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UserError(`${what} not found: ${file}${hint ? ` — ${hint}` : ''}`);
  }
  if (!st.isFile()) throw new UserError(`${what} ${file} is not a regular file`);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * Gunzips a buffer. A truncated gzip stream yields the bytes that could be
 * recovered and `truncated: true` (so the caller can report expected vs
 * actual sizes); a corrupt stream is a UserError naming the file.
 */
export function gunzipFile(buf: Uint8Array, file: string): { data: Buffer; truncated: boolean } {
  try {
    return { data: gunzipSync(buf), truncated: false };
  } catch (e) {
    const msg = (e as Error).message;
    try {
      const partial = gunzipSync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      return { data: partial, truncated: true };
    } catch {
      throw new UserError(`${file} is gzip-compressed but corrupt (${msg}); re-download or re-install it`);
    }
  }
}

const SIGNATURES: ReadonlyArray<[number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x1f, 0x8b], 'a gzip archive'],
  [[0x42, 0x5a, 0x68], 'a bzip2 archive'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'an xz archive'],
  [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a NumPy .npy file'],
  [[0x80], 'possibly a Python pickle'],
];

/** A best-effort description of what a foreign file looks like, e.g. 'a PNG image'. */
export function describeContent(buf: Uint8Array): string {
  if (buf.length === 0) return 'an empty file';
  for (const [sig, what] of SIGNATURES) {
    if (buf.length >= sig.length && sig.every((b, i) => buf[i] === b)) return what;
  }
  // ustar tar header at offset 257
  if (buf.length > 262 && String.fromCharCode(...buf.subarray(257, 262)) === 'ustar') return 'a tar archive';
  const head = buf.subarray(0, Math.min(buf.length, 256));
  let printable = 0;
  for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) printable++;
  if (printable === head.length) return 'a text file';
  return 'unrecognised binary data';
}

/** Hex dump of the first bytes, e.g. '89 50 4e 47'. */
export function hexHead(buf: Uint8Array, count = 4): string {
  return Array.from(buf.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
