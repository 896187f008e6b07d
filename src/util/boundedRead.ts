/**
 * Reading untrusted files with a bound: only regular files (never /dev/zero, a FIFO or a directory), never more
 * bytes than the caller allows, and paths that must stay inside a folder. Errors are UserErrors naming the file.
 *
 * Files are opened with O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, before fstat can say
 * what the path is. On a regular file the flag changes nothing.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.js';

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** What a path that is not a regular file is, for the message. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens `file` for reading without blocking and checks that it is a regular file: its descriptor and size. The caller
 * closes the descriptor. A missing file, a dangling or looping link, a folder, FIFO or device: a UserError.
 */
export function openRegularFile(file: string, what = 'file'): { fd: number; size: number } {
  // what = '': the file's name alone is the subject of the messages
  const subject = what ? `${what} ${file}` : file;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && isSymbolicLink(file)) throw new UserError(`${subject} is a symbolic link to nothing (its target does not exist)`);
    if (code === 'ENOENT') throw new UserError(what ? `${what} not found: ${file}` : `cannot open ${file}: no such file`);
    if (code === 'ELOOP') throw new UserError(`${subject} is a symbolic link that loops`);
    throw new UserError(`cannot open ${subject}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${subject} is not a regular file (${kindOf(st)})`);
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${subject}: ${(err as Error).message}`);
  }
}

function isSymbolicLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Reads up to `length` bytes at `position` into `buf` from `offset`; stops early at the end of the file. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** The most any file is read whole (a model's weights, a dataset file); callers set lower bounds per kind. */
export const MAX_READ_BYTES = 2 ** 31;

/**
 * Opens `file`, checks that it is a regular file, and reads bytes [offset, offset + length) of it, where `length`
 * is the file's size (less offset) unless given. `maxBytes` (default MAX_READ_BYTES) refuses larger reads before any
 * allocation.
 */
export function readRegularFile(file: string, opts: { what?: string; maxBytes?: number; offset?: number; length?: number } = {}): Buffer {
  const what = opts.what ?? 'file';
  const { fd, size } = openRegularFile(file, what);
  try {
    const offset = opts.offset ?? 0;
    const length = opts.length ?? Math.max(0, size - offset);
    if (offset + length > size) {
      throw new UserError(`${what} ${file} is truncated (${size} bytes; ${offset + length} needed)`);
    }
    const maxBytes = opts.maxBytes ?? MAX_READ_BYTES;
    if (length > maxBytes) throw new UserError(`${what} ${file} is too large (${mib(length)}; at most ${mib(maxBytes)} is read)`);
    const buf = Buffer.alloc(length);
    const done = readFully(fd, buf, 0, length, offset);
    if (done < length) throw new UserError(`${what} ${file} is truncated (read ${offset + done} of ${offset + length} bytes)`);
    return buf;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** A JSON file of at most `maxBytes`: parsed, or a UserError naming the file and what is wrong. */
export function readJsonFile(file: string, what: string, maxBytes: number): unknown {
  const text = readRegularFile(file, { what, maxBytes }).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UserError(`${what} ${file} is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * `rel` resolved inside `dir`, following symbolic links: a UserError when it is absolute, climbs out of `dir`
 * (`..`, or a link pointing elsewhere) or does not exist.
 */
export function resolveInside(dir: string, rel: string, what = 'file'): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) throw new UserError(`${dir}: ${what} path ${JSON.stringify(rel)} is not a file name`);
  if (isAbsolute(rel)) throw new UserError(`${dir}: ${what} path '${rel}' is absolute; it must name a file inside the folder`);
  const joined = resolve(dir, rel);
  if (isOutside(joined, resolve(dir))) throw new UserError(`${dir}: ${what} path '${rel}' points outside the folder`);
  let real: string;
  let realDir: string;
  try {
    realDir = realpathSync(dir);
    real = realpathSync(joined);
  } catch {
    throw new UserError(`${dir}: ${what} '${rel}' does not exist`);
  }
  if (isOutside(real, realDir)) throw new UserError(`${dir}: ${what} path '${rel}' points outside the folder (through a symbolic link)`);
  return real;
}

/** Whether `p` is `root` itself or not under it (both absolute). */
export function isOutside(p: string, root: string): boolean {
  const r = relative(root, p);
  return r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
}
