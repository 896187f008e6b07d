/**
 * THE table of trainer options, beside the model options' (models/options.ts): each setting's type, range, default,
 * help text, whether the commands that train share its flag, and whether an experiment may set and vary it. The
 * trainer's config type and defaults (./trainer.ts), the experiment file's rules (ablation/experiment.ts), the
 * commands' trainer flags (commands/trainerFlags.ts) and `ablate --set` (ablation/trainOverrides.ts) all read it. A
 * new trainer option is one entry here plus the trainer code that uses it.
 */
import { oneOf } from '../util/errors.js';
import { LIMITS } from './limits.js';

export const LAMBDA_SHAPES = ['linear', 'cosine'] as const;
export type LambdaShape = (typeof LAMBDA_SHAPES)[number];
export const LAMBDA_PER = ['step', 'epoch'] as const;
export type LambdaPer = (typeof LAMBDA_PER)[number];

/** The authors' default: lambda reaches 1 after the first third of the epochs (decay_epochs 100 of 300). */
export const DECAY_FRACTION = 1 / 3;

/** decayEpochs when none is given: epochs / 3 (fractional when epochs is not a multiple of 3). */
export function defaultDecayEpochs(epochs: number): number {
  return epochs * DECAY_FRACTION;
}

interface TrainOptionBase {
  /** what the option does (the --help text of its flag) */
  description: string;
  valueName?: string;
  /** an experiment may set it (experiment, preset, model entry, `ablate --set`) and vary it as a factor */
  factor: boolean;
  /**
   * the flag's place: 'recipe' (shared by `train` and `crosscheck`, the recipe both describe), 'run' (`train`'s,
   * a command may declare its own with other defaults), none (no flag)
   */
  flag?: 'recipe' | 'run';
}
export type TrainOptionSpec =
  | (TrainOptionBase & { type: 'boolean'; default: boolean })
  | (TrainOptionBase & {
      type: 'number';
      integer: boolean;
      min: number;
      max: number;
      default: number;
      /** the default follows other settings (given none, resolveTrainConfig derives it; its flag has no default) */
      derived?: (c: { epochs: number }) => number;
    })
  | (TrainOptionBase & { type: 'choice'; values: readonly string[]; default: string });

export const TRAIN_OPTIONS = {
  epochs: { type: 'number', integer: true, min: 1, max: LIMITS.epochs, default: 10, flag: 'run', factor: true, description: 'epochs' },
  batchSize: { type: 'number', integer: true, min: 1, max: LIMITS.batchSize, default: 64, flag: 'run', factor: true, description: 'batch size' },
  lr: { type: 'number', integer: false, min: 0, max: LIMITS.rate, default: 2e-3, flag: 'run', factor: true, description: 'peak learning rate (AdamW)' },
  minLr: {
    type: 'number',
    integer: false,
    min: 0,
    max: LIMITS.rate,
    default: 1e-6,
    flag: 'recipe',
    factor: true,
    description: 'final learning rate of the cosine',
  },
  warmupEpochs: {
    type: 'number',
    integer: false,
    min: 0,
    max: LIMITS.epochs,
    default: 1,
    flag: 'recipe',
    factor: true,
    description: 'linear warm-up epochs',
  },
  weightDecay: {
    type: 'number',
    integer: false,
    min: 0,
    max: LIMITS.rate,
    default: 0.05,
    flag: 'recipe',
    factor: true,
    description: 'decoupled weight decay',
  },
  labelSmoothing: { type: 'number', integer: false, min: 0, max: 0.99, default: 0.1, flag: 'recipe', factor: true, description: 'label smoothing' },
  decayEpochs: {
    type: 'number',
    integer: false,
    min: 0,
    max: LIMITS.epochs,
    default: defaultDecayEpochs(10),
    derived: (c) => defaultDecayEpochs(c.epochs),
    flag: 'recipe',
    factor: true,
    description: "epochs over which lambda goes 0 -> 1 (default: a third of the epochs, as the authors' 100/300)",
  },
  lambdaShape: { type: 'choice', values: LAMBDA_SHAPES, default: 'linear', flag: 'recipe', factor: true, description: 'lambda schedule' },
  lambdaPer: { type: 'choice', values: LAMBDA_PER, default: 'step', flag: 'recipe', factor: true, description: 'lambda updated per step or per epoch' },
  mergeAfterDecay: {
    type: 'boolean',
    default: false,
    flag: 'run',
    factor: true,
    description: 'merge the conv pairs once lambda = 1 and keep training the merged model',
  },
  augment: { type: 'boolean', default: false, flag: 'run', factor: true, description: 'random crop (padding 4) + horizontal flip, training batches only' },
  evalTest: { type: 'boolean', default: true, flag: 'run', factor: true, description: 'score the final model (both forms) on the test split too' },
  // an experiment's seeds are its own list; each command declares its seed flag
  seed: { type: 'number', integer: true, min: 0, max: 2 ** 31 - 1, default: 0, factor: false, description: 'seed (data order, init, dropout)' },
  bnMomentum: {
    type: 'number',
    integer: false,
    min: 0,
    max: 1,
    default: 0.1,
    flag: 'recipe',
    factor: true,
    valueName: 'm',
    description: 'batch-norm running statistics: running = (1 - m) running + m batch; runs of a few dozen steps need more (e.g. 0.3) to settle',
  },
  evalBatchSize: { type: 'number', integer: true, min: 1, max: LIMITS.batchSize, default: 256, factor: true, description: 'images per evaluation batch' },
} as const satisfies Record<string, TrainOptionSpec>;

export type TrainOptionName = keyof typeof TRAIN_OPTIONS;

type ValueOf<S> = S extends { type: 'boolean' } ? boolean : S extends { type: 'number' } ? number : S extends { values: readonly (infer V)[] } ? V : never;

/** The trainer's settings: one value per table entry (see each entry's description). */
export type TrainConfig = { -readonly [K in TrainOptionName]: ValueOf<(typeof TRAIN_OPTIONS)[K]> };

/** Trainer options an experiment may set or vary: those marked `factor` in the table. */
export type TrainFactorName = { [K in TrainOptionName]: (typeof TRAIN_OPTIONS)[K] extends { factor: true } ? K : never }[TrainOptionName];

export const TRAIN_SPECS = TRAIN_OPTIONS as Record<TrainOptionName, TrainOptionSpec>;
const KEYS = Object.keys(TRAIN_OPTIONS) as TrainOptionName[];

/** The options an experiment may set and vary, in table order. */
export const TRAIN_FACTORS = KEYS.filter((k) => TRAIN_SPECS[k].factor) as TrainFactorName[];

export const DEFAULT_TRAIN_CONFIG: TrainConfig = Object.fromEntries(KEYS.map((k) => [k, TRAIN_SPECS[k].default])) as unknown as TrainConfig;

/** Trainer settings over the defaults; a derived option (decayEpochs), when not given, follows the others. */
export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...given };
  for (const k of KEYS) {
    const s = TRAIN_SPECS[k];
    if (given[k] === undefined && s.type === 'number' && s.derived) (cfg as Record<string, unknown>)[k] = s.derived(cfg);
  }
  return cfg;
}

/** What an option accepts, as error messages say it: "an integer from 1 to 10000", "'linear' or 'cosine'", "true or false". */
export function acceptedValues(s: TrainOptionSpec): string {
  if (s.type === 'boolean') return 'true or false';
  if (s.type === 'choice') return oneOf(s.values.map((v) => `'${v}'`));
  return `${s.integer ? 'an integer' : 'a number'} from ${s.min} to ${s.max}`;
}

/** Whether a value is one the option accepts. */
export function acceptsValue(s: TrainOptionSpec, v: unknown): boolean {
  if (s.type === 'boolean') return typeof v === 'boolean';
  if (s.type === 'choice') return typeof v === 'string' && s.values.includes(v);
  return typeof v === 'number' && Number.isFinite(v) && v >= s.min && v <= s.max && (!s.integer || Number.isInteger(v));
}
