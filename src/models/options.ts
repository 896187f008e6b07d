/**
 * THE table of model options (as timm's ByoModelCfg keeps fields and defaults together): each option's type,
 * range, default, CLI flag, labels and whether an experiment may vary it. resolveOptions, the CLI flags
 * (commands/modelFlags.ts), the experiment validation (ablation/experiment.ts), the summary's sentences and the
 * report's cell labels all read it. A new toggle is one entry here plus the model code that uses it.
 */
import { UserError, oneOf } from '../util/errors.js';

export const SHORTCUTS = ['none', 'before-act', 'after-act'] as const;
export type Shortcut = (typeof SHORTCUTS)[number];
export const STEMS = ['imagenet', 'small'] as const;
export type Stem = (typeof STEMS)[number];

interface OptionBase {
  /** what the option does (the --help text of its flag) */
  description: string;
  /** the command-line flag (camelCase, shown as --kebab-case); none: not settable from the command line */
  flag?: string;
  valueName?: string;
  /** an experiment may set it per model entry and vary it as a factor */
  factor: boolean;
  /** words for it in the summary's sentences (default: the option's name) */
  label?: string;
  /** a cell's value in REPORT.md's ablation tables (default: the value) */
  cellLabel?: (v: unknown) => string;
}
export type OptionSpec =
  | (OptionBase & { type: 'boolean'; default: boolean })
  | (OptionBase & { type: 'number'; integer: boolean; min: number; max: number; default: number })
  | (OptionBase & { type: 'choice'; values: readonly string[]; default: string });

export const MODEL_OPTIONS = {
  deepTraining: {
    type: 'boolean',
    default: true,
    flag: 'deepTraining',
    factor: true,
    label: 'deep training',
    description: 'deep training: conv pairs with an annealed activation',
    cellLabel: (v) => (v ? 'deep training' : 'no deep training'),
  },
  seriesAct: {
    type: 'boolean',
    default: true,
    flag: 'seriesAct',
    factor: true,
    label: 'series activation',
    description: 'series informed activation (ReLU + depthwise conv + BN)',
    cellLabel: (v) => (v ? 'series act.' : 'no series act.'),
  },
  actNum: {
    type: 'number',
    integer: true,
    min: 0,
    max: 10,
    default: 3,
    flag: 'actNum',
    valueName: 'n',
    factor: true,
    label: 'series activation n',
    description: 'series activation n: a (2n+1)^2 kernel',
  },
  shortcut: {
    type: 'choice',
    values: SHORTCUTS,
    default: 'none',
    flag: 'shortcut',
    factor: true,
    description: 'residual connection placement',
    cellLabel: (v) => `shortcut ${String(v)}`,
  },
  width: {
    type: 'number',
    integer: false,
    min: 1 / 256,
    max: 4,
    default: 1,
    flag: 'width',
    valueName: 'x',
    factor: true,
    description: 'channel width multiplier (1 = the paper)',
  },
  inputSize: {
    type: 'number',
    integer: true,
    min: 8,
    max: 4096,
    default: 224,
    flag: 'input',
    valueName: 'px',
    factor: false,
    description: 'input resolution (square)',
  },
  inputChannels: { type: 'number', integer: true, min: 1, max: 16, default: 3, factor: false, description: 'input channels' },
  numClasses: {
    type: 'number',
    integer: true,
    min: 2,
    max: 100000,
    default: 1000,
    flag: 'classes',
    valueName: 'n',
    factor: false,
    description: 'number of classes',
  },
  stem: { type: 'choice', values: STEMS, default: 'imagenet', flag: 'stem', factor: true, description: "'small' adapts the stem to 28-32 px images" },
  dropRate: { type: 'number', integer: false, min: 0, max: 0.99, default: 0, factor: true, description: 'dropout rate before the classifier' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof MODEL_OPTIONS;

type ValueOf<S> = S extends { type: 'boolean' } ? boolean : S extends { type: 'number' } ? number : S extends { values: readonly (infer V)[] } ? V : never;

/** Resolved model options: one value per table entry (see each entry's description). */
export type ModelOptions = { -readonly [K in OptionName]: ValueOf<(typeof MODEL_OPTIONS)[K]> };

const SPECS = MODEL_OPTIONS as Record<OptionName, OptionSpec>;
const KEYS = Object.keys(MODEL_OPTIONS) as OptionName[];

/** Defaults shared by all families; families override some (familyDefaults in models/zoo.ts). */
export const DEFAULT_OPTIONS: ModelOptions = Object.fromEntries(KEYS.map((k) => [k, SPECS[k].default])) as unknown as ModelOptions;

/** The options an experiment may set per model entry and vary as factors, in table order. */
export const FACTOR_OPTIONS = KEYS.filter((k) => SPECS[k].factor);

/** The options a run's record names its model by (the paper's toggles and the scale they were measured at), in record order. */
export const CELL_TOGGLES = ['deepTraining', 'seriesAct', 'shortcut', 'actNum', 'width', 'stem'] as const;
export type CellToggles = Pick<ModelOptions, (typeof CELL_TOGGLES)[number]>;

/** A model's CELL_TOGGLES, as resolved. */
export const cellToggles = (o: ModelOptions): CellToggles => Object.fromEntries(CELL_TOGGLES.map((k) => [k, o[k]])) as unknown as CellToggles;

/** The summary's words for an option (its label, else its name). */
export const optionLabel = (k: string): string => (k in SPECS ? SPECS[k as OptionName].label : undefined) ?? k;

/** REPORT.md's words for a cell's value of an option (its cellLabel, else the value). */
export const optionCellLabel = (k: string, v: unknown): string => (k in SPECS ? SPECS[k as OptionName].cellLabel : undefined)?.(v) ?? String(v);

/** Checks one option's value against its table entry; the error names the option and the valid values. */
function checkOption(k: OptionName, v: unknown): void {
  const s = SPECS[k];
  if (s.type === 'boolean') {
    if (typeof v !== 'boolean') throw new UserError(`${k} must be true or false (on/off), got ${JSON.stringify(v)}`);
  } else if (s.type === 'choice') {
    if (typeof v !== 'string' || !s.values.includes(v)) throw new UserError(`${k} must be ${oneOf(s.values)}, got ${JSON.stringify(v)}`);
  } else if (typeof v !== 'number' || !Number.isFinite(v) || v < s.min || v > s.max || (s.integer && !Number.isInteger(v))) {
    throw new UserError(`${k} must be ${s.integer ? 'an integer' : 'a number'} from ${s.min} to ${s.max}, got ${JSON.stringify(v)}`);
  }
}

/** Merges and validates options from untrusted input; every error names the field and the valid values. */
export function resolveOptions(partial: Partial<Record<string, unknown>> = {}, defaults: Partial<ModelOptions> = {}): ModelOptions {
  for (const k of Object.keys(partial)) {
    if (!KEYS.includes(k as OptionName)) {
      throw new UserError(`unknown model option '${k}': valid options are ${oneOf(KEYS)}`);
    }
  }
  const o = { ...DEFAULT_OPTIONS, ...defaults, ...partial } as Record<OptionName, unknown>;
  for (const k of KEYS) checkOption(k, o[k]);
  return o as unknown as ModelOptions;
}

/** Channels at a width multiplier: rounded, never below 1. */
export function scaled(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

/** Parses on/off style flags. */
export function parseToggle(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new UserError(`--${name} must be on or off, got '${value}'`);
}
