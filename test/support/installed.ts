import { createRequire } from 'node:module';

/** Whether an (optional) package resolves here: tfjs-node(-gpu) and webgpu may be absent, or present in CI. */
export function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
