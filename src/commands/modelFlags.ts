/** Flags shared by the commands that build models: the paper's toggles and the size knobs. */
import { SHORTCUTS, STEMS, parseToggle } from '../models/options.js';
import type { StringFlag, NumberFlag } from '../util/args.js';

export const MODEL_FLAGS = {
  width: { type: 'number', min: 1 / 256, max: 4, description: 'channel width multiplier (1 = the paper)', valueName: 'x' },
  input: { type: 'number', integer: true, min: 8, max: 4096, description: 'input resolution (square)', valueName: 'px' },
  classes: { type: 'number', integer: true, min: 2, description: 'number of classes', valueName: 'n' },
  deepTraining: { type: 'string', choices: ['on', 'off'], description: 'deep training: conv pairs with an annealed activation' },
  seriesAct: { type: 'string', choices: ['on', 'off'], description: 'series informed activation (ReLU + depthwise conv + BN)' },
  actNum: { type: 'number', integer: true, min: 0, max: 10, description: 'series activation n: a (2n+1)^2 kernel', valueName: 'n' },
  shortcut: { type: 'string', choices: SHORTCUTS, description: 'residual connection placement' },
  stem: { type: 'string', choices: STEMS, description: "'small' adapts the stem to 28-32 px images" },
} as const satisfies Record<string, StringFlag | NumberFlag>;

type ModelFlagValues = {
  width?: number; input?: number; classes?: number; deepTraining?: string; seriesAct?: string; actNum?: number; shortcut?: string; stem?: string;
};

/** Model options given on the command line (only those given: the rest come from the family defaults). */
export function modelOptionsFromFlags(f: ModelFlagValues, defaults: { width?: number; input?: number; classes?: number } = {}): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const width = f.width ?? defaults.width;
  const input = f.input ?? defaults.input;
  const classes = f.classes ?? defaults.classes;
  if (width !== undefined) o.width = width;
  if (input !== undefined) o.inputSize = input;
  if (classes !== undefined) o.numClasses = classes;
  if (f.deepTraining !== undefined) o.deepTraining = parseToggle('deep-training', f.deepTraining);
  if (f.seriesAct !== undefined) o.seriesAct = parseToggle('series-act', f.seriesAct);
  if (f.actNum !== undefined) o.actNum = f.actNum;
  if (f.shortcut !== undefined) o.shortcut = f.shortcut;
  if (f.stem !== undefined) o.stem = f.stem;
  return o;
}

/** "a,b,c" or "all" -> model names (validated by the caller through the zoo). */
export function listArg(value: string | undefined, all: readonly string[]): string[] {
  if (value === undefined || value === 'all') return [...all];
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
