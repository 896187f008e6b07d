/**
 * tfjs environment flags from VANILLABENCH_TFJS_FLAGS (comma-separated NAME=value), for a command and the processes
 * it starts. E.g. WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD=0: tfjs-webgpu otherwise computes ops whose inputs are still on
 * the CPU and under 1000 elements on the CPU, so tiny test models would barely touch the GPU.
 *
 * They are set before any backend package loads (`seedTfjsFlags`): a backend reads some of its flags once, when it
 * loads (tfjs-webgpu that threshold), so a flag not registered yet is seeded into the environment's values, which a
 * registered flag's first read returns. Once the backend is chosen, `checkTfjsFlags` refuses a flag that nothing
 * registered, unless it belongs to a backend that did not load (WEBGPU_*, WASM_*, WEBGL_*).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';

export const TFJS_FLAGS_ENV = 'VANILLABENCH_TFJS_FLAGS';

type FlagValue = number | boolean | string;

/** The flags the variable asks for, in order. */
export function parseTfjsFlags(spec: string | undefined): [string, FlagValue][] {
  const out: [string, FlagValue][] = [];
  for (const entry of (spec ?? '').split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.+)$/.exec(entry);
    if (!m) throw new UserError(`${TFJS_FLAGS_ENV}: '${entry}' is not NAME=value (e.g. WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD=0)`);
    const raw = m[2].trim();
    const value: FlagValue = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    out.push([m[1], value]);
  }
  return out;
}

const registered = (name: string): boolean => (tf.env() as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry[name] !== undefined;

/** Sets (or, not registered yet, seeds) the flags of VANILLABENCH_TFJS_FLAGS. */
export function seedTfjsFlags(env: NodeJS.ProcessEnv = process.env): void {
  const flags = parseTfjsFlags(env[TFJS_FLAGS_ENV]);
  for (const [name, value] of flags) {
    if (registered(name)) tf.env().set(name, value);
    else tf.env().setFlags({ ...tf.env().getFlags(), [name]: value });
  }
}

/** The flags of VANILLABENCH_TFJS_FLAGS in force (NAME=value); a UserError for one that no loaded package knows. */
export function checkTfjsFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const applied: string[] = [];
  for (const [name, value] of parseTfjsFlags(env[TFJS_FLAGS_ENV])) {
    if (registered(name)) applied.push(`${name}=${String(tf.env().get(name))}`);
    else if (!/^(WEBGPU|WASM|WEBGL)_/.test(name)) {
      throw new UserError(`${TFJS_FLAGS_ENV}: tfjs has no flag ${name} (asked to set it to ${String(value)})`);
    }
  }
  return applied;
}
