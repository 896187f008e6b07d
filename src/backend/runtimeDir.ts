/**
 * A valid XDG_RUNTIME_DIR for Dawn: the Vulkan and EGL stacks it loads look there for a display server and complain
 * on stderr ("XDG_RUNTIME_DIR is invalid or not set") when it is missing, as on servers, containers and CI. The
 * variable is valid when it names a folder of ours that only we can use (mode 0700), as the XDG spec asks;
 * otherwise a private folder in the temporary directory takes its place, for this process and its children.
 */
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function privateDirOfOurs(dir: string | undefined): boolean {
  if (!dir || !path.isAbsolute(dir)) return false;
  try {
    const st = statSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o777) === 0o700;
  } catch {
    return false;
  }
}

/** Sets XDG_RUNTIME_DIR (in `env`, by default this process's) to a private folder unless it is valid; returns it. */
export function ensureRuntimeDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return env.XDG_RUNTIME_DIR ?? null;
  if (privateDirOfOurs(env.XDG_RUNTIME_DIR)) return env.XDG_RUNTIME_DIR!;
  // one folder per user, reused by every run; a fresh one if that name is taken by someone else
  let dir = path.join(tmpdir(), `vanillabench-runtime-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    /* exists: checked below */
  }
  if (!privateDirOfOurs(dir)) dir = mkdtempSync(path.join(tmpdir(), 'vanillabench-runtime-'));
  env.XDG_RUNTIME_DIR = dir;
  return dir;
}
