/**
 * What an ablation folder's experiment declared before it ran (its experiment.json, written by `ablate` from the
 * experiment file with the preset applied): the seeds of each model entry, the budget ladder the preset belongs
 * to, and the training budget (images x epochs). Verdicts use exactly these seeds: fewer is interim, more are not
 * used (adding seeds after a look is a new, declared experiment).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';

export const EXPERIMENT_FILE = 'experiment.json';

export interface Declaration {
  experiment: string;
  preset: string;
  /** the experiment's seeds, in its order */
  seeds: number[];
  /** per model entry: its maxSeeds (only the first n seeds), if any */
  maxSeeds: (number | undefined)[];
  /** per model entry: training images x epochs (null where the training set size is not declared) */
  budgets: (number | null)[];
  /** training images (the training subset less the validation images; null: the whole split) */
  images: number | null;
  /** per model entry: its epochs (null: not declared) */
  epochs: (number | null)[];
  /** the input size in pixels (null: not declared) */
  inputSize: number | null;
  /** the dataset as resolved by ablate ('fashion-mnist', 'synthetic', ...; null: not recorded) */
  datasetName: string | null;
  /** the budget ladder this preset is a rung of: presets smallest budget first, and their labels ('1x', '2x'); null: none */
  ladder: { presets: string[]; labels: string[]; budgets: number[] } | null;
  /** the seeds declared for one model entry */
  seedsOf(entry: number): number[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A ladder's relative budgets (older experiment.json files have none: the rungs' positions, 1, 2, 3, ...). */
function budgetsOf(v: unknown, n: number): number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && x > 0) ? (v as number[]) : Array.from({ length: n }, (_, i) => i + 1);
}

/** The declaration in an experiment.json's content; `where` names it in errors. */
export function declarationOf(raw: unknown, where: string): Declaration {
  const bad = (what: string): never => {
    throw new UserError(`${where}: ${what}`);
  };
  if (!isObj(raw)) bad('is not an experiment object');
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string' || typeof o.preset !== 'string') bad('has no experiment name and preset');
  if (!Array.isArray(o.seeds) || o.seeds.length === 0 || !o.seeds.every((s) => Number.isInteger(s))) bad('has no list of integer seeds');
  if (!Array.isArray(o.models) || !o.models.every(isObj)) bad('has no list of model entries');
  const models = o.models as Record<string, unknown>[];
  const dataset = isObj(o.dataset) ? o.dataset : {};
  const train = isObj(o.train) ? o.train : {};
  const images = num(dataset.trainSize) !== undefined ? (num(dataset.trainSize) as number) - (num(dataset.valSize) ?? 0) : null;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((p) => typeof p === 'string');
  const l = o.ladder;
  const ladder =
    l === undefined
      ? null
      : isObj(l) && strings(l.presets) && strings(l.labels) && l.presets.length === l.labels.length && l.presets.includes(o.preset as string)
        ? { presets: l.presets, labels: l.labels, budgets: budgetsOf(l.budgets, l.presets.length) }
        : bad('has a ladder that is not { presets, labels } naming its own preset');
  const seeds = o.seeds as number[];
  const maxSeeds = models.map((m) => num(m.maxSeeds));
  const epochs = models.map((m) => num(isObj(m.train) ? m.train.epochs : undefined) ?? num(train.epochs) ?? null);
  return {
    experiment: o.name as string,
    preset: o.preset as string,
    seeds,
    maxSeeds,
    budgets: epochs.map((e) => (images !== null && e !== null ? images * e : null)),
    images,
    epochs,
    inputSize: num(dataset.inputSize) ?? null,
    datasetName: typeof o.datasetName === 'string' ? o.datasetName : null,
    ladder,
    seedsOf: (entry: number) => seeds.slice(0, maxSeeds[entry] ?? seeds.length),
  };
}

/** Reads <dir>/experiment.json (null when the folder has none); a malformed one is a UserError naming it. */
export function readDeclaration(dir: string): Declaration | null {
  const file = path.join(dir, EXPERIMENT_FILE);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(file, { what: 'experiment file', maxBytes: 4 * 2 ** 20 }).toString('utf8'));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return declarationOf(raw, file);
}
