/**
 * Reading untrusted files with a bound: only regular files (never /dev/zero, a FIFO or a directory), never more
 * bytes than the caller allows, and paths that must stay inside a folder. Errors are UserErrors naming the file.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.js';

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * Opens `file`, checks that it is a regular file, and reads bytes [offset, offset + length) of it, where `length`
 * is the file's size (less offset) unless given. `maxBytes` refuses larger reads before any allocation.
 */
export function readRegularFile(file: string, opts: { what?: string; maxBytes?: number; offset?: number; length?: number } = {}): Buffer {
  const what = opts.what ?? 'file';
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${what} not found: ${file}` : `cannot open ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${what} ${file} is not a regular file`);
    const offset = opts.offset ?? 0;
    const length = opts.length ?? Math.max(0, st.size - offset);
    if (offset + length > st.size) {
      throw new UserError(`${what} ${file} is truncated (${st.size} bytes; ${offset + length} needed)`);
    }
    if (opts.maxBytes !== undefined && length > opts.maxBytes) {
      throw new UserError(`${what} ${file} is too large (${mib(length)}; at most ${mib(opts.maxBytes)} is read)`);
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    if (done < length) throw new UserError(`${what} ${file} is truncated (read ${offset + done} of ${offset + length} bytes)`);
    return buf;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * `rel` resolved inside `dir`, following symbolic links: a UserError when it is absolute, climbs out of `dir`
 * (`..`, or a link pointing elsewhere) or does not exist.
 */
export function resolveInside(dir: string, rel: string, what = 'file'): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) throw new UserError(`${dir}: ${what} path ${JSON.stringify(rel)} is not a file name`);
  if (isAbsolute(rel)) throw new UserError(`${dir}: ${what} path '${rel}' is absolute; it must name a file inside the folder`);
  const outside = (p: string, root: string): boolean => {
    const r = relative(root, p);
    return r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
  };
  const joined = resolve(dir, rel);
  if (outside(joined, resolve(dir))) throw new UserError(`${dir}: ${what} path '${rel}' points outside the folder`);
  let real: string;
  let realDir: string;
  try {
    realDir = realpathSync(dir);
    real = realpathSync(joined);
  } catch {
    throw new UserError(`${dir}: ${what} '${rel}' does not exist`);
  }
  if (outside(real, realDir)) throw new UserError(`${dir}: ${what} path '${rel}' points outside the folder (through a symbolic link)`);
  return real;
}
