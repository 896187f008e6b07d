/**
 * `ablate --set key=value`: trainer settings over the experiment's and its preset's, without editing the file. They
 * apply to every model entry (an entry's own `train` too), are checked by the same rules as the file's, and are
 * recorded in the matrix folder's experiment.json. A setting the experiment varies as a factor cannot be set.
 */
import { oneOf, UserError } from '../util/errors.js';
import { TRAIN_FACTORS, TRAIN_SPECS, acceptedValues, acceptsValue, type TrainFactorName } from '../train/options.js';
import type { FactorValue, ResolvedExperiment, TrainSettings } from './experiment.js';

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, on: true, false: false, off: false };

/** One `key=value` as a checked trainer setting. */
function parseOne(arg: string): [TrainFactorName, FactorValue] {
  const eq = arg.indexOf('=');
  const key = (eq > 0 ? arg.slice(0, eq) : arg).trim();
  const raw = eq > 0 ? arg.slice(eq + 1).trim() : '';
  if (eq <= 0 || raw === '') throw new UserError(`--set ${arg}: write key=value, e.g. --set epochs=1`);
  if (!(TRAIN_FACTORS as string[]).includes(key)) throw new UserError(`--set ${arg}: ${key} is not a trainer setting; settings are ${oneOf(TRAIN_FACTORS)}`);
  const k = key as TrainFactorName;
  const spec = TRAIN_SPECS[k];
  // the word for a boolean, else the value as JSON would read it (a number) or as written (a choice)
  const value = spec.type === 'boolean' ? BOOLEAN_WORDS[raw.toLowerCase()] : spec.type === 'number' ? Number(raw) : raw;
  if (!acceptsValue(spec, value)) throw new UserError(`--set ${arg}: ${k} must be ${acceptedValues(spec)}${spec.type === 'boolean' ? ' (on/off)' : ''}`);
  return [k, value as FactorValue];
}

/** The --set arguments as trainer settings; a key given twice is an error (which one would win is not obvious). */
export function parseTrainOverrides(args: readonly string[]): TrainSettings {
  const out: Record<string, FactorValue> = {};
  for (const arg of args) {
    const [k, v] = parseOne(arg);
    if (k in out) throw new UserError(`--set ${k} is given twice (${JSON.stringify(out[k])} and ${JSON.stringify(v)})`);
    out[k] = v;
  }
  return out as TrainSettings;
}

/** The experiment with the settings over its own and every entry's; none may be a factor the matrix varies. */
export function applyTrainOverrides(e: ResolvedExperiment, set: TrainSettings): ResolvedExperiment {
  const keys = Object.keys(set);
  if (!keys.length) return e;
  const varied = keys.filter((k) => k in e.factors);
  if (varied.length)
    throw new UserError(
      `--set ${varied.join(', ')}: ${varied.length > 1 ? 'these are factors' : 'this is a factor'} of ${e.name} (varied over ${varied.map((k) => JSON.stringify(e.factors[k as TrainFactorName])).join(', ')}); it cannot be set`,
    );
  return {
    ...e,
    train: { ...e.train, ...set },
    models: e.models.map((m) => (m.train ? { ...m, train: { ...m.train, ...set } } : m)),
  };
}

/** The default folder's suffix for a matrix with settings, e.g. "-epochs1-lr0.001", so it never mixes with the plain one. */
export function overridesSuffix(set: TrainSettings): string {
  return Object.entries(set)
    .map(([k, v]) => `-${k}${String(v).replace(/[^A-Za-z0-9.]/g, '')}`)
    .join('');
}
