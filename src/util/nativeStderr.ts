/**
 * Captures what native code (Dawn, a Vulkan driver) writes to the process's stderr, file descriptor 2, during one
 * synchronous call. Node has no dup2: fd 2 is closed and a temporary file opened in its place (open takes the
 * lowest free descriptor), and afterwards the original is reopened through /proc/self/fd.
 *
 * Reopening makes a new open file description. For a terminal, a pipe or /dev/null that is the same stream; for a
 * regular file it is only safe in append mode (otherwise a stdout sharing the file would write over what stderr
 * adds), so such a stderr, a socket (which cannot be reopened) and anything off Linux run the call uncaptured.
 * Node's own writes to process.stderr during the call would be captured as well: the call must not log.
 */
import { closeSync, fstatSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Captured<T> {
  value: T;
  /** what went to fd 2 during the call; '' when nothing did or the call ran uncaptured */
  output: string;
  captured: boolean;
}

const O_APPEND = 0o2000;
let serial = 0;

/** Whether fd 2 can be swapped and reopened without changing where later output lands. */
function reopenable(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // 0 and 1 must be open, so that fd 2 is the lowest free descriptor once closed
    fstatSync(0);
    fstatSync(1);
    const st = fstatSync(2);
    if (st.isFIFO() || st.isCharacterDevice()) return true;
    if (!st.isFile()) return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/2', 'utf8'));
    return flags !== null && (parseInt(flags[1], 8) & O_APPEND) !== 0;
  } catch {
    return false;
  }
}

/** Runs `fn` with fd 2 going to a temporary file; returns its value and what was written there. */
export function captureNativeStderr<T>(fn: () => T): Captured<T> {
  if (!reopenable()) return { value: fn(), output: '', captured: false };
  const file = path.join(tmpdir(), `vanillabench-stderr-${process.pid}-${++serial}.txt`);
  let saved: number;
  try {
    saved = openSync('/proc/self/fd/2', 'a');
    closeSync(openSync(file, 'w', 0o600));
  } catch {
    return { value: fn(), output: '', captured: false };
  }
  closeSync(2);
  let swapped = -1;
  try {
    swapped = openSync(file, 'a');
  } finally {
    if (swapped !== 2) {
      // another thread took descriptor 2 first: put stderr back and run uncaptured
      if (swapped >= 0) closeSync(swapped);
      restore(saved);
    }
  }
  if (swapped !== 2) {
    rmSync(file, { force: true });
    return { value: fn(), output: '', captured: false };
  }
  let value: T;
  try {
    value = fn();
  } finally {
    closeSync(2);
    restore(saved);
  }
  let output = '';
  try {
    output = readFileSync(file, 'utf8');
  } finally {
    rmSync(file, { force: true });
  }
  return { value, output, captured: true };
}

/** Reopens the saved stderr as fd 2 (the lowest free descriptor after 2 was closed), then drops the copy. */
function restore(saved: number): void {
  const fd = openSync(`/proc/self/fd/${saved}`, 'a');
  closeSync(saved);
  if (fd !== 2) throw new Error(`internal: stderr came back as descriptor ${fd}, not 2`);
}
