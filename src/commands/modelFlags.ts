/** Flags shared by the commands that build models: every option of the table in models/options.ts with a flag. */
import { MODEL_OPTIONS, parseToggle, type OptionName } from '../models/options.js';
import type { StringFlag, NumberFlag } from '../util/args.js';

type Table = typeof MODEL_OPTIONS;
type FlagName<K extends OptionName> = Table[K] extends { flag: infer F extends string } ? F : never;
type FlagOf<S> = S extends { type: 'number' }
  ? NumberFlag & { type: 'number' }
  : S extends { type: 'choice'; values: infer V extends readonly string[] }
    ? StringFlag & { type: 'string'; choices: V }
    : StringFlag & { type: 'string'; choices: readonly ['on', 'off'] };
type ModelFlags = { [K in OptionName as FlagName<K>]: FlagOf<Table[K]> };

const FLAGGED = (Object.entries(MODEL_OPTIONS) as [OptionName, Table[OptionName]][]).filter(([, s]) => 'flag' in s);
const flagOf = (k: OptionName): string => (MODEL_OPTIONS[k] as { flag: string }).flag;

export const MODEL_FLAGS = Object.fromEntries(
  FLAGGED.map(([k, s]) => {
    const valueName = 'valueName' in s ? { valueName: s.valueName } : {};
    const flag =
      s.type === 'number'
        ? { type: 'number', integer: s.integer, min: s.min, max: s.max, description: s.description, ...valueName }
        : { type: 'string', choices: s.type === 'choice' ? s.values : ['on', 'off'], description: s.description, ...valueName };
    return [flagOf(k), flag];
  }),
) as unknown as ModelFlags;

type ModelFlagValues = { [F in keyof ModelFlags]?: ModelFlags[F] extends { type: 'number' } ? number : string };

/** Model options given on the command line (only those given: the rest come from the family defaults). */
export function modelOptionsFromFlags(f: ModelFlagValues, defaults: ModelFlagValues = {}): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, s] of FLAGGED) {
    const flag = flagOf(k) as keyof ModelFlagValues;
    const v = f[flag] ?? defaults[flag];
    if (v === undefined) continue;
    o[k] =
      s.type === 'boolean'
        ? parseToggle(
            flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
            String(v),
          )
        : v;
  }
  return o;
}

/** "a,b,c" or "all" -> model names (validated by the caller through the zoo). */
export function listArg(value: string | undefined, all: readonly string[]): string[] {
  if (value === undefined || value === 'all') return [...all];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
