/**
 * Verbose mode (`--verbose` on any command, or VANILLABENCH_VERBOSE=1): diagnostics that a working run does not
 * need, such as every backend tried and what Dawn printed while looking for a GPU. Kept in the environment so the
 * processes a command starts (ablate's workers) inherit it.
 */
export const VERBOSE_ENV = 'VANILLABENCH_VERBOSE';

export function isVerbose(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[VERBOSE_ENV];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function setVerbose(on: boolean): void {
  if (on) process.env[VERBOSE_ENV] = '1';
  else delete process.env[VERBOSE_ENV];
}
