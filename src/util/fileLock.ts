/**
 * Lock files for result files that several processes may write: `<file>.lock` holds the owner's pid. It is created
 * complete (a temporary file hard-linked to its name: link fails when the name exists), so no reader ever sees an
 * empty lock; a lock whose owner is dead (killed) is taken over, moved aside first so that two processes taking over
 * the same stale lock cannot both succeed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from './boundedRead.js';
import { UserError } from './errors.js';

/** The lock file that guards `file`: hidden beside it (readers of a results folder skip dot files). */
export function lockFileFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.lock`);
}

/** The pid a lock file names, or null when it names none (not a lock file, unreadable, not a regular file). */
export function lockOwner(lockFile: string): number | null {
  try {
    const pid = Number.parseInt(readRegularFile(lockFile, { what: 'lock file', maxBytes: 64 }).toString('utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;

/** Creates `lockFile` holding our pid, atomically and exclusively: false when it exists. */
function create(lockFile: string): boolean {
  const tmp = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, lockFile);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw new UserError(`cannot create the lock ${lockFile}: ${(err as Error).message}`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // not created
    }
  }
}

/** Removes a lock whose owner `stale` is dead; a lock someone took meanwhile is put back. */
function takeOver(lockFile: string, stale: number | null): void {
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(lockFile, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return; // someone else took it over first
    throw new UserError(`cannot take over the stale lock ${lockFile}: ${(err as Error).message}`);
  }
  if (lockOwner(aside) !== stale) {
    try {
      linkSync(aside, lockFile);
    } catch {
      // a third process locked it in between: it holds the lock
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // gone already
  }
}

/** Takes `lockFile` if it is free or stale: null when taken, else the live owner's pid. */
export function tryLock(lockFile: string): number | null {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(lockFile)) return null;
    let st;
    try {
      st = lstatSync(lockFile);
    } catch {
      continue; // released in between
    }
    if (!st.isFile()) throw new UserError(`${lockFile} is in the place of a lock file but is not a regular file: remove it`);
    const pid = lockOwner(lockFile);
    // our own pid: held by this process already (a second holder here would be a second writer too)
    if (pid !== null && processAlive(pid)) return pid;
    takeOver(lockFile, pid);
  }
  throw new UserError(`could not take the lock ${lockFile}: it keeps changing hands`);
}

/** Removes `lockFile` if we hold it. */
export function unlock(lockFile: string): void {
  if (lockOwner(lockFile) !== process.pid) return;
  try {
    unlinkSync(lockFile);
  } catch {
    // best effort
  }
}

/**
 * Creates `dir` and holds it for this process (`<dir>/.lock`): a run folder has one writer. Another live writer is a
 * UserError naming it; `release` frees the folder.
 */
export function claimFolder(dir: string, what: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  const owner = tryLock(lock);
  if (owner !== null) throw new UserError(`${what} ${dir} is being written by process ${owner}`);
  return () => unlock(lock);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` holding `lockFile`, waiting up to `timeoutMs` for another process to release it (a UserError naming the
 * holder after that). For short critical sections: read, merge, write.
 */
export function withLock<T>(lockFile: string, what: string, fn: () => T, timeoutMs = 60_000): T {
  const until = Date.now() + timeoutMs;
  for (let owner = tryLock(lockFile); owner !== null; owner = tryLock(lockFile)) {
    if (Date.now() > until) throw new UserError(`${what} is locked by process ${owner} (${lockFile}) for more than ${Math.round(timeoutMs / 1000)} s`);
    Atomics.wait(sleepCell, 0, 0, 20);
  }
  try {
    return fn();
  } finally {
    unlock(lockFile);
  }
}
