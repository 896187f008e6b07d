/**
 * The paper's toggles and the size knobs shared by every architecture, with validation that names
 * the valid values (user input reaches this from flags and experiment files).
 */
import { UserError, oneOf } from '../util/errors.js';

export const SHORTCUTS = ['none', 'before-act', 'after-act'] as const;
export type Shortcut = (typeof SHORTCUTS)[number];
export const STEMS = ['imagenet', 'small'] as const;
export type Stem = (typeof STEMS)[number];

export interface ModelOptions {
  /** deep training: each layer is a conv pair with a lambda-activation between (mergeable at lambda = 1) */
  deepTraining: boolean;
  /** series informed activation: ReLU + depthwise (2n+1)^2 conv + BN; off = plain ReLU */
  seriesAct: boolean;
  /** n of the series activation: kernel 2n+1 */
  actNum: number;
  /** residual connection around each block, added before or after the block's activation
   *  (family default when resolved: none for VanillaNet and AlexNet, before-act for ResNet) */
  shortcut: Shortcut;
  /** channel width multiplier (1 = the paper's widths) */
  width: number;
  /** square input resolution */
  inputSize: number;
  inputChannels: number;
  numClasses: number;
  /** 'small' adapts the stem to 28-32 px images (see each family) */
  stem: Stem;
  dropRate: number;
}

/** Defaults shared by all families; families override some (see FAMILY_DEFAULTS in models/zoo.ts). */
export const DEFAULT_OPTIONS: ModelOptions = {
  deepTraining: true,
  seriesAct: true,
  actNum: 3,
  shortcut: 'none',
  width: 1,
  inputSize: 224,
  inputChannels: 3,
  numClasses: 1000,
  stem: 'imagenet',
  dropRate: 0,
};

const KEYS = Object.keys(DEFAULT_OPTIONS) as (keyof ModelOptions)[];

/** Merges and validates options from untrusted input; every error names the field and the valid values. */
export function resolveOptions(partial: Partial<Record<string, unknown>> = {}, defaults: Partial<ModelOptions> = {}): ModelOptions {
  for (const k of Object.keys(partial)) {
    if (!KEYS.includes(k as keyof ModelOptions)) {
      throw new UserError(`unknown model option '${k}': valid options are ${oneOf(KEYS)}`);
    }
  }
  const o = { ...DEFAULT_OPTIONS, ...defaults, ...partial } as Record<keyof ModelOptions, unknown>;
  const bool = (k: keyof ModelOptions) => {
    if (typeof o[k] !== 'boolean') throw new UserError(`${k} must be true or false (on/off), got ${JSON.stringify(o[k])}`);
  };
  const num = (k: keyof ModelOptions, min: number, max: number, integer: boolean) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw new UserError(`${k} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  };
  const choice = (k: keyof ModelOptions, values: readonly string[]) => {
    if (typeof o[k] !== 'string' || !values.includes(o[k] as string)) {
      throw new UserError(`${k} must be ${oneOf(values)}, got ${JSON.stringify(o[k])}`);
    }
  };
  bool('deepTraining');
  bool('seriesAct');
  num('actNum', 0, 10, true);
  choice('shortcut', SHORTCUTS);
  num('width', 1 / 256, 4, false);
  num('inputSize', 8, 4096, true);
  num('inputChannels', 1, 16, true);
  num('numClasses', 2, 100000, true);
  choice('stem', STEMS);
  num('dropRate', 0, 0.99, false);
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
