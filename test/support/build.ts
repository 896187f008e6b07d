/**
 * For end-to-end tests that spawn the CLI (bin/vanillabench.js runs dist/): builds dist when a source is newer than
 * the outputs the test needs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestMtime(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** `outputs`: paths under dist/ (relative to the repository) that must be at least as new as every source. */
export function ensureBuilt(outputs: readonly string[]): void {
  const files = outputs.map((f) => path.join(ROOT, f));
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'experiments')));
  if (files.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources)) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    // tsc emits despite type errors elsewhere in the tree; what matters is that our outputs exist
    if (!files.every((f) => existsSync(f))) throw err;
  }
}
