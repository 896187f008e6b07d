/**
 * Loading an experiment file (experiments/*.ts): the compiled dist/ counterpart when it is newer, else the .ts through
 * tsx; load errors and a missing default export as one clear message; then validateExperiment.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/provenance.js';
import { isObj, validateExperiment, type Experiment } from './experiment.js';

/** The compiled counterpart of a .ts file inside this package (dist/<same path>.js), or null. */
export function compiledPath(tsFile: string): string | null {
  const root = packageRoot();
  const rel = path.relative(root, tsFile);
  if (rel.startsWith('..') || path.isAbsolute(rel) || !rel.endsWith('.ts') || rel.startsWith(`dist${path.sep}`)) return null;
  return path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
}

async function importModule(abs: string): Promise<unknown> {
  if (abs.endsWith('.ts') || abs.endsWith('.mts')) {
    const js = compiledPath(abs);
    if (js && existsSync(js) && statSync(js).mtimeMs >= statSync(abs).mtimeMs) return import(pathToFileURL(js).href);
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(pathToFileURL(abs).href, import.meta.url) as Promise<unknown>;
  }
  return import(pathToFileURL(abs).href);
}

/**
 * The useful lines of a load error: a compiler's summary line ("Transform failed with 1 error:") says nothing, the
 * errors after it (file:line:column: ERROR: text) do.
 */
function loadErrorText(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return message;
  const detail = lines.filter((l) => !/^(Transform|Build) failed with \d+ errors?:?$/.test(l));
  return (detail.length > 0 ? detail : lines).slice(0, 3).join('; ');
}

/**
 * A file outside an ESM package is compiled as CommonJS, and its namespace's `default` is then module.exports:
 * named exports only (no `export default`) show up as a default holding exactly the named exports.
 */
function isCommonJsWithoutDefault(mod: unknown): boolean {
  if (!isObj(mod) || !isObj(mod.default) || 'default' in mod.default) return false;
  const named = Object.keys(mod).filter((k) => k !== 'default');
  const keys = Object.keys(mod.default);
  return named.length > 0 && keys.length === named.length && keys.every((k) => named.includes(k) && mod[k] === (mod.default as Record<string, unknown>)[k]);
}

/**
 * Loads an experiment file (experiments/*.ts: the compiled dist/experiments/<name>.js when it is newer than the
 * .ts, else the .ts itself through tsx) and validates its default export.
 */
export async function loadExperiment(file: string): Promise<Experiment> {
  const abs = path.resolve(file);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new UserError(`experiment file ${file} not found (experiments are TypeScript files such as experiments/table2.ts)`);
  }
  let mod: unknown;
  try {
    mod = await importModule(abs);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UserError(`experiment file ${file} failed to load: ${loadErrorText(message)}`);
  }
  let def = isObj(mod) ? mod.default : undefined;
  // a file compiled as CommonJS (outside an ESM package) exposes module.exports as the default
  if (isObj(def) && isObj(def.default) && !('name' in def)) def = def.default;
  if (def === undefined || isCommonJsWithoutDefault(mod)) {
    throw new UserError(`experiment file ${file} has no default export: end it with export default defineExperiment({ ... })`);
  }
  return validateExperiment(def, file);
}
