/**
 * The trainer's flags, from the table of trainer options (train/options.ts): RECIPE_FLAGS, which `train` and
 * `crosscheck` share (same names, ranges, defaults and help) so that both describe one recipe, and RUN_FLAGS, the
 * rest of `train`'s, which a command may redeclare with its own defaults (crosscheck's tiny runs).
 */
import { TRAIN_OPTIONS, TRAIN_SPECS, resolveTrainConfig, type TrainConfig, type TrainOptionName } from '../train/options.js';
import type { BooleanFlag, NumberFlag, StringFlag } from '../util/args.js';

type Table = typeof TRAIN_OPTIONS;
type WithDefault<S, T> = S extends { derived: unknown } ? object : { default: T };
type FlagOf<S> = S extends { type: 'number'; default: number }
  ? NumberFlag & { type: 'number' } & WithDefault<S, number>
  : S extends { type: 'choice'; values: infer V extends readonly string[] }
    ? StringFlag & { type: 'string'; choices: V; default: V[number] }
    : BooleanFlag & { type: 'boolean'; default: boolean };
type FlagsOf<P> = { [K in TrainOptionName as Table[K] extends { flag: P } ? K : never]: FlagOf<Table[K]> };

function flagsOf<P extends 'recipe' | 'run'>(place: P): FlagsOf<P> {
  const flags = Object.entries(TRAIN_SPECS)
    .filter(([, s]) => s.flag === place)
    .map(([k, s]) => {
      const common = { description: s.description, ...(s.valueName !== undefined ? { valueName: s.valueName } : {}) };
      if (s.type === 'boolean') return [k, { type: 'boolean', default: s.default, ...common }];
      if (s.type === 'choice') return [k, { type: 'string', choices: s.values, default: s.default, ...common }];
      const integer = s.integer ? { integer: true } : {};
      return [k, { type: 'number', ...integer, min: s.min, max: s.max, ...(s.derived ? {} : { default: s.default }), ...common }];
    });
  return Object.fromEntries(flags) as FlagsOf<P>;
}

export const RECIPE_FLAGS = flagsOf('recipe');
export const RUN_FLAGS = flagsOf('run');

/**
 * The trainer settings among parsed flags: those given (or defaulted by their flag), and a derived one (decayEpochs)
 * that was not, from the others.
 */
export function trainSettingsFromFlags(f: Partial<Record<string, unknown>>): Partial<TrainConfig> {
  const given: Record<string, unknown> = Object.fromEntries(Object.keys(TRAIN_SPECS).flatMap((k) => (k !== 'seed' && f[k] !== undefined ? [[k, f[k]]] : [])));
  const resolved = resolveTrainConfig(given as Partial<TrainConfig>);
  for (const [k, s] of Object.entries(TRAIN_SPECS)) if (given[k] === undefined && s.type === 'number' && s.derived) given[k] = resolved[k as TrainOptionName];
  return given as Partial<TrainConfig>;
}
