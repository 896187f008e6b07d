/** Process helpers for tests that kill or wait on real processes. */
import { readFileSync } from 'node:fs';

/** Running (a zombie left for a parent that does not reap counts as gone). */
export function alive(pid: number): boolean {
  try {
    return (
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ')[0] !== 'Z'
    );
  } catch {
    return false;
  }
}
