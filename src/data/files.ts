/**
 * Small file helpers shared by the loaders: reading with user-facing errors,
 * gunzip, and recognising foreign files for clear messages.
 */
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { readRegularFile } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';

/** The largest data file read whole (a dataset's images: EMNIST's largest IDX file is 550 MB). */
export const MAX_DATA_FILE_BYTES = 2 ** 30;

/**
 * Reads a whole regular file of at most `maxBytes`; a missing, unreadable or oversized file, a folder, FIFO or
 * device is a UserError naming it (a FIFO is refused at once, not waited on).
 */
export function readFileOrThrow(file: string, what = 'file', hint = '', maxBytes = MAX_DATA_FILE_BYTES): Buffer {
  try {
    return readRegularFile(file, { what, maxBytes });
  } catch (err) {
    if (err instanceof UserError && hint && err.message.startsWith(`${what} not found:`)) throw new UserError(`${err.message} — ${hint}`);
    throw err;
  }
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * Gunzips a buffer into at most `maxBytes` (a gzip bomb stops there: a UserError naming the file). A truncated gzip
 * stream yields the bytes that could be recovered and `truncated: true` (so the caller can report expected vs
 * actual sizes); a corrupt stream is a UserError naming the file.
 */
export function gunzipFile(buf: Uint8Array, file: string, maxBytes = MAX_DATA_FILE_BYTES): { data: Buffer; truncated: boolean } {
  const tooLarge = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
  const refuse = () => new UserError(`${file} inflates to more than ${maxBytes} bytes (the most it may hold); it is damaged or not what it claims to be`);
  try {
    return { data: gunzipSync(buf, { maxOutputLength: maxBytes }), truncated: false };
  } catch (e) {
    if (tooLarge(e)) throw refuse();
    const msg = (e as Error).message;
    try {
      const partial = gunzipSync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: maxBytes });
      return { data: partial, truncated: true };
    } catch (e2) {
      if (tooLarge(e2)) throw refuse();
      throw new UserError(`${file} is gzip-compressed but corrupt (${msg}); re-download or re-install it`);
    }
  }
}

/**
 * The first bytes a gzip stream inflates to, from a prefix of it (deflate expands at most ~1032x, so this stays
 * small whatever the whole stream holds); empty when even that prefix is corrupt.
 */
export function gunzipHead(buf: Uint8Array, prefixBytes = 4096): Buffer {
  try {
    return gunzipSync(buf.subarray(0, prefixBytes), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: prefixBytes * 1100 });
  } catch {
    return Buffer.alloc(0);
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
