/**
 * Expands an experiment (one preset applied) into its matrix: cells (a model entry with one value of every
 * factor) and runs (cell x seed). Every run gets a stable runId: a hash of everything that decides its result
 * (model options resolved over the family defaults, the dataset as resolved, the full trainer configuration, the
 * seed) and MATRIX_VERSION, so the same run keeps its id across invocations and resumes, and any change to what
 * it computes gives a new one.
 */
import { createHash } from 'node:crypto';
import { modelOptions } from '../models/zoo.js';
import { cellToggles, type CellToggles } from '../models/options.js';
import { PAPER_FACTORS } from '../models/paper.js';
import { resolveDatasetName, type RunSpec } from '../train/runTraining.js';
import { resolveTrainConfig, type TrainConfig } from '../train/options.js';
import { UserError } from '../util/errors.js';
import { MODEL_FACTORS, type FactorName, type FactorValue, type ResolvedExperiment } from './experiment.js';

/** Bump when the meaning of a run changes in a way its configuration does not show (e.g. a fixed bug). */
// 2: the baselines' dense layers are initialised as PyTorch's nn.Linear (were He fan-out: far too large logits)
// 3: the authors' recipe: series-activation kernel trunc_normal_(std=0.02) (was N(0, 1)), VanillaNet
//    weights timm's trunc_normal_ (std 0.02, bounds +-2), series-activation BN eps 1e-6 in every family
export const MATRIX_VERSION = 3;

export type { CellToggles };

export interface CellDescription {
  /** hash of the cell's configuration (no seed) */
  id: string;
  /** position in the matrix: the summary lists cells in this order */
  index: number;
  /** index of the model entry in the experiment */
  entry: number;
  model: string;
  label: string;
  /** this cell's value of every factor */
  factors: Partial<Record<FactorName, FactorValue>>;
  /** the factor values of the cell this one is compared with (both tricks off, shortcut none, else the first value) */
  baseline: Partial<Record<FactorName, FactorValue>>;
  /** the model's toggles as resolved over its family defaults */
  toggles: CellToggles;
}

export interface RunDescription {
  runId: string;
  experiment: string;
  preset: string;
  cell: CellDescription;
  seed: number;
  /** what the worker passes to runTraining */
  spec: RunSpec;
  /** the trainer: ours (absent) or the authors' PyTorch code under the same protocol (`ablate --engine torch`) */
  engine?: 'torch';
}

/** A run's key in the store and its folder name under a matrix's runs folder: the runId, with -torch for the PyTorch run of the same description. */
export const runKey = (run: { runId: string; engine?: string }): string => (run.engine === 'torch' ? `${run.runId}-torch` : run.runId);

export interface Matrix {
  experiment: string;
  preset: string;
  /** the dataset name as resolved ('default' -> fashion-mnist or synthetic) */
  datasetName: string;
  cells: CellDescription[];
  runs: RunDescription[];
}

/** JSON with object keys sorted at every level (a stable hash input). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function hashId(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16);
}

/** The value a factor's effect is measured from: off for toggles, 'none' for shortcuts, else the first listed. */
export function baselineValue(name: FactorName, values: readonly FactorValue[]): FactorValue {
  if (values.includes(false)) return false;
  if (name === 'shortcut' && values.includes('none')) return 'none';
  return values[0];
}

function product(factors: [FactorName, FactorValue[]][]): Partial<Record<FactorName, FactorValue>>[] {
  let out: Partial<Record<FactorName, FactorValue>>[] = [{}];
  for (const [k, values] of factors) out = out.flatMap((o) => values.map((v) => ({ ...o, [k]: v })));
  return out;
}

export function expandExperiment(e: ResolvedExperiment, opts: { datasetName?: string } = {}): Matrix {
  const datasetName = opts.datasetName ?? resolveDatasetName(e.dataset.name);
  const data = { ...e.dataset, name: datasetName };
  const factorList = Object.entries(e.factors) as [FactorName, FactorValue[]][];
  const baseline = Object.fromEntries(factorList.map(([k, values]) => [k, baselineValue(k, values)])) as Partial<Record<FactorName, FactorValue>>;
  const cells: CellDescription[] = [];
  const specs = new Map<string, Omit<RunSpec, 'seed'>>();
  const seen = new Map<string, string>();
  const entrySeeds = e.models.map((m) => e.seeds.slice(0, m.maxSeeds ?? e.seeds.length));
  e.models.forEach((m, entry) => {
    const { model, label, maxSeeds: _maxSeeds, train: entryTrain, ...entryOptions } = m;
    for (const values of product(factorList)) {
      const modelPart: Record<string, unknown> = { ...entryOptions };
      const trainPart: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(values)) {
        if ((MODEL_FACTORS as readonly string[]).includes(k)) modelPart[k] = v;
        else trainPart[k] = v;
      }
      // decayEpochs, unless set: a third of the epochs (the authors' 100 of 300)
      const train: Omit<TrainConfig, 'seed'> & { seed?: number } = resolveTrainConfig({ ...e.train, ...entryTrain, ...trainPart } as Partial<TrainConfig>);
      delete train.seed;
      const resolved = modelOptions(model, { ...modelPart, inputSize: data.inputSize });
      const { inputChannels: _c, numClasses: _n, ...hashedOptions } = resolved;
      const id = hashId({ v: MATRIX_VERSION, model, options: hashedOptions, data, train });
      const where = `models[${entry}] ${JSON.stringify(values)}`;
      if (seen.has(id)) throw new UserError(`experiment ${e.name}: ${where} is the same configuration as ${seen.get(id)}: every cell must differ`);
      seen.set(id, where);
      cells.push({
        id,
        index: cells.length,
        entry,
        model,
        label: label ?? model,
        factors: values,
        baseline,
        toggles: cellToggles(resolved),
      });
      specs.set(id, { model, modelOptions: modelPart, data, train });
    }
  });
  const runs: RunDescription[] = [];
  // seed rounds in the experiment's order; an entry with maxSeeds sits out the later rounds
  for (const seed of e.seeds) {
    for (const cell of cells) {
      if (!entrySeeds[cell.entry].includes(seed)) continue;
      const spec = { ...specs.get(cell.id)!, seed };
      runs.push({ runId: hashId({ v: MATRIX_VERSION, cell: cell.id, seed }), experiment: e.name, preset: e.preset, cell, seed, spec });
    }
  }
  return { experiment: e.name, preset: e.preset, datasetName, cells, runs };
}

/** "deepTraining=on seriesAct=off" */
export function describeFactors(factors: Partial<Record<string, FactorValue>>): string {
  const parts = Object.entries(factors).map(([k, v]) => `${k}=${v === true ? 'on' : v === false ? 'off' : String(v)}`);
  return parts.join(' ') || '(no factors)';
}

/** A cell as flat fields: the model, its paper toggles and the matrix's factors (what labels and claims look up). */
export function cellFields(cell: CellDescription): Record<string, unknown> {
  const paper = Object.fromEntries(PAPER_FACTORS.map((k) => [k, cell.toggles[k as keyof CellToggles]]));
  return { model: cell.model, ...paper, ...cell.factors };
}
