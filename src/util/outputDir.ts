/**
 * Checks an output folder before any work: it must be named (not empty, not longer than the system allows), be a
 * folder or creatable as one, writable, and on a real file system (Node's recursive mkdir never returns on /proc).
 * A UserError names the flag and what is wrong.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

/** Pseudo file systems nothing is written to (mkdir -p loops on procfs). */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

/** Linux's limits: a whole path, and one name in it (bytes). */
const PATH_MAX = 4095;
const NAME_MAX = 255;

/** The path's shape alone: empty, a NUL, too long as a whole or in one of its names. */
function checkPathShape(p: string, flag: string): void {
  if (p === '') throw new UserError(`${flag} is empty: name a folder`);
  if (p.includes('\0')) throw new UserError(`${flag} ${JSON.stringify(p)} contains a NUL character`);
  const abs = path.resolve(p);
  if (Buffer.byteLength(abs) > PATH_MAX) throw new UserError(`${flag} is too long (${Buffer.byteLength(abs)} bytes as a full path; at most ${PATH_MAX})`);
  const long = abs.split('/').find((part) => Buffer.byteLength(part) > NAME_MAX);
  if (long)
    throw new UserError(`${flag} ${p}: the name '${long.slice(0, 24)}...' is ${Buffer.byteLength(long)} bytes long; a file name has at most ${NAME_MAX}`);
}

export function checkOutputDir(dir: string, flag = '--out'): void {
  checkPathShape(dir, flag);
  const abs = path.resolve(dir);
  // the nearest part of the path that exists
  let existing = abs;
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') {
        // a parent is a file: name it
        let p = path.dirname(existing);
        while (p !== path.dirname(p)) {
          try {
            if (!statSync(p).isDirectory()) throw new UserError(`${flag} ${dir}: ${p} is not a folder`);
            break;
          } catch (e) {
            if (e instanceof UserError) throw e;
          }
          p = path.dirname(p);
        }
        throw new UserError(`${flag} ${dir}: a part of the path is not a folder`);
      }
      if (code !== 'ENOENT') throw new UserError(`${flag} ${dir}: cannot use it (${(err as Error).message})`);
      if (existing === path.dirname(existing)) break;
      existing = path.dirname(existing);
    }
  }
  const real = realpathSync(existing);
  if (VIRTUAL_ROOTS.some((r) => real === r || real.startsWith(`${r}/`))) {
    if (real === abs && statSync(abs).isFile()) throw new UserError(`${flag} ${dir} is a file, not a folder`);
    throw new UserError(`${flag} ${dir} is on a virtual file system (${real.split('/').slice(0, 2).join('/')}), not a place for results`);
  }
  const st = statSync(existing);
  if (!st.isDirectory()) {
    throw new UserError(existing === abs ? `${flag} ${dir} is a file, not a folder` : `${flag} ${dir}: ${existing} is not a folder`);
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new UserError(`${flag} ${dir}: ${existing === abs ? 'the folder' : existing} is not writable`);
  }
}

/**
 * Checks an output file before any work: its folder as checkOutputDir does, and the file, when it exists, a regular
 * file (it is replaced), not a folder.
 */
export function checkOutputFile(file: string, flag = 'the output file'): void {
  checkPathShape(file, flag);
  checkOutputDir(path.dirname(path.resolve(file)), `${flag}'s folder`);
  let st;
  try {
    st = statSync(file);
  } catch {
    return; // not there yet
  }
  if (!st.isFile()) throw new UserError(`${flag} ${file} exists and is not a regular file`);
}
