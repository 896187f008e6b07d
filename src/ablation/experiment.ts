/**
 * Ablation experiments: a typed definition (models x factors x seeds on one dataset, with quick and full presets),
 * validated completely before anything runs, and loaded from TypeScript files (experiments/*.ts).
 *
 *   export default defineExperiment({
 *     name: 'table2', description: '...',
 *     dataset: { name: 'default', trainSize: 3000, valSize: 1000, inputSize: 32 },
 *     models: [{ model: 'vanillanet-6', width: 1 / 16 }, { model: 'alexnet', width: 1 / 8, stem: 'small' }],
 *     factors: { deepTraining: [false, true], seriesAct: [false, true] },
 *     seeds: [0, 1, 2],
 *     train: { epochs: 10, batchSize: 64 },
 *     presets: { quick: { seeds: [0], train: { epochs: 3 } }, full: {} },
 *   });
 *
 * A factor is any model option (toggles, width, stem, ...) or trainer option (epochs, lr, ...); each cell of the
 * matrix is one model entry with one value of every factor (a factor overrides the model entry's own value).
 * Every validation error names the field path and what is accepted.
 */
import { DATASET_NAMES } from '../data/registry.js';
import { FACTOR_OPTIONS, MODEL_OPTIONS, resolveOptions, type ModelOptions, type OptionName } from '../models/options.js';
import { MODEL_NAMES, modelOptions } from '../models/zoo.js';
import {
  TRAIN_FACTORS,
  TRAIN_OPTIONS,
  TRAIN_SPECS,
  acceptedValues,
  acceptsValue,
  type TrainConfig,
  type TrainFactorName,
  type TrainOptionSpec,
} from '../train/options.js';
import { LIMITS } from '../train/limits.js';
import { UserError, oneOf } from '../util/errors.js';

/** Model options an experiment may set or vary: those marked `factor` in the options table (the data decides the rest). */
export type ModelFactorName = { [K in OptionName]: (typeof MODEL_OPTIONS)[K] extends { factor: true } ? K : never }[OptionName];
export const MODEL_FACTORS = FACTOR_OPTIONS as readonly ModelFactorName[];
export type FactorName = ModelFactorName | TrainFactorName;
export type FactorValue = boolean | number | string;

export const FACTOR_NAMES: readonly FactorName[] = [...MODEL_FACTORS, ...TRAIN_FACTORS];

export type Factors = { [K in ModelFactorName]?: readonly ModelOptions[K][] } & { [K in TrainFactorName]?: readonly TrainConfig[K][] };

export interface ExperimentDataset {
  /** 'default' (Fashion-MNIST when installed, else synthetic) or a dataset name */
  name: string;
  dir?: string;
  trainSize?: number;
  /** validation images carved out of the training subset; the summary reports accuracy on it */
  valSize?: number;
  testSize?: number;
  inputSize: number;
}

export interface ExperimentModel extends Partial<Pick<ModelOptions, Exclude<ModelFactorName, 'width'>>> {
  model: string;
  width: number;
  /** shown in the summary instead of the model name */
  label?: string;
  /** only the first n of the experiment's (or preset's) seeds for this entry, e.g. for a costly baseline */
  maxSeeds?: number;
  /** trainer settings for this entry over the experiment's (e.g. fewer epochs for a costly baseline); factors still win */
  train?: TrainSettings;
}

export type TrainSettings = Partial<Omit<TrainConfig, 'seed'>>;

export interface ExperimentOverrides {
  description?: string;
  dataset?: Partial<ExperimentDataset>;
  models?: readonly ExperimentModel[];
  factors?: Factors;
  seeds?: readonly number[];
  train?: TrainSettings;
}

export const REQUIRED_PRESETS = ['quick', 'full'] as const;

export interface Experiment {
  /** used for the default output folder: letters, digits, '.', '_' and '-' */
  name: string;
  description: string;
  dataset: ExperimentDataset;
  models: readonly ExperimentModel[];
  factors: Factors;
  seeds: readonly number[];
  train: TrainSettings;
  presets: { quick: ExperimentOverrides; full: ExperimentOverrides } & Record<string, ExperimentOverrides>;
  /**
   * A budget ladder: presets that train the same cells and seeds with more training images or epochs, smallest
   * first. The verdicts are read at the largest rung, with the effect's trajectory across the rungs.
   */
  ladder?: readonly string[];
}

/** The rungs of a ladder as declared: preset names and budgets relative to the first ("1x", "2x", ...). */
export interface LadderDeclaration {
  presets: string[];
  labels: string[];
  /** training images x epochs of each rung relative to the first */
  budgets: number[];
}

/** An experiment with one preset applied. */
export interface ResolvedExperiment {
  name: string;
  description: string;
  preset: string;
  dataset: ExperimentDataset;
  models: ExperimentModel[];
  factors: Partial<Record<FactorName, FactorValue[]>>;
  seeds: number[];
  train: TrainSettings;
  /** the experiment's budget ladder, when this preset is one of its rungs */
  ladder?: LadderDeclaration;
}

/** Identity: gives an experiment file its types. */
export function defineExperiment(e: Experiment): Experiment {
  return e;
}

// ---- validation ------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

class Checker {
  constructor(readonly where: string) {}
  fail(field: string, message: string): never {
    throw new UserError(`${this.where}: ${field} ${message}`);
  }
  object(v: unknown, field: string, keys: readonly string[]): Obj {
    if (!isObj(v)) this.fail(field, `must be an object, got ${show(v)}`);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.fail(`${field}.${k}`, `is not a known field: valid fields are ${oneOf(keys)}`);
    }
    return v;
  }
  string(v: unknown, field: string, pattern?: RegExp, what?: string): string {
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) this.fail(field, `must be ${what ?? 'a string'}, got ${show(v)}`);
    return v;
  }
  integer(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got ${show(v)}`);
    }
    return v;
  }
  /** A trainer option's value, checked against its entry in the trainer options' table. */
  rule(v: unknown, field: string, r: TrainOptionSpec): FactorValue {
    if (!acceptsValue(r, v)) this.fail(field, `must be ${acceptedValues(r)}, got ${show(v)}`);
    return v as FactorValue;
  }
  /** Runs a validator that throws UserError and prefixes its message with the field path. */
  wrap<T>(field: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${this.where}: ${field}: ${err.message}`);
      throw err;
    }
  }
}

const EXPERIMENT_KEYS = ['name', 'description', 'dataset', 'models', 'factors', 'seeds', 'train', 'presets', 'ladder'] as const;
const OVERRIDE_KEYS = ['description', 'dataset', 'models', 'factors', 'seeds', 'train'] as const;
const DATASET_KEYS = ['name', 'dir', 'trainSize', 'valSize', 'testSize', 'inputSize'] as const;
const MODEL_ENTRY_KEYS = ['model', 'label', 'maxSeeds', 'train', ...MODEL_FACTORS] as const;
export const DATASET_CHOICES = ['default', ...DATASET_NAMES] as const;

function checkDataset(c: Checker, v: unknown, field: string, partial: boolean): Partial<ExperimentDataset> {
  const o = c.object(v, field, DATASET_KEYS);
  const out: Partial<ExperimentDataset> = {};
  if (o.name !== undefined || !partial) {
    const name = o.name;
    if (typeof name !== 'string' || !(DATASET_CHOICES as readonly string[]).includes(name)) {
      c.fail(`${field}.name`, `must be ${oneOf(DATASET_CHOICES.map((s) => `'${s}'`))}, got ${show(name)}`);
    }
    out.name = name;
  }
  if (o.inputSize !== undefined || !partial) out.inputSize = c.integer(o.inputSize, `${field}.inputSize`, 8, 4096);
  if (o.dir !== undefined) out.dir = c.string(o.dir, `${field}.dir`);
  if (o.trainSize !== undefined) out.trainSize = c.integer(o.trainSize, `${field}.trainSize`, 1, LIMITS.images);
  if (o.valSize !== undefined) out.valSize = c.integer(o.valSize, `${field}.valSize`, 0, LIMITS.images);
  if (o.testSize !== undefined) out.testSize = c.integer(o.testSize, `${field}.testSize`, 1, LIMITS.images);
  return out;
}

function checkModels(c: Checker, v: unknown, field: string): ExperimentModel[] {
  if (!Array.isArray(v) || v.length === 0) c.fail(field, `must be a non-empty array of { model, width, ... }, got ${show(v)}`);
  return v.map((entry, i) => {
    const f = `${field}[${i}]`;
    const o = c.object(entry, f, MODEL_ENTRY_KEYS);
    if (typeof o.model !== 'string' || !(MODEL_NAMES as readonly string[]).includes(o.model)) {
      c.fail(`${f}.model`, `must be one of the zoo's models: ${oneOf(MODEL_NAMES)}; got ${show(o.model)}`);
    }
    if (o.width === undefined) c.fail(`${f}.width`, 'is required (channel width multiplier, e.g. 1/16)');
    if (o.label !== undefined) c.string(o.label, `${f}.label`);
    const { model, label, maxSeeds, train, ...options } = o;
    const max = maxSeeds !== undefined ? c.integer(maxSeeds, `${f}.maxSeeds`, 1) : undefined;
    const entryTrain = train !== undefined ? checkTrain(c, train, `${f}.train`) : undefined;
    c.wrap(f, () => modelOptions(model as string, options));
    return {
      ...options,
      model: model as string,
      ...(label !== undefined ? { label: label as string } : {}),
      ...(max !== undefined ? { maxSeeds: max } : {}),
      ...(entryTrain !== undefined ? { train: entryTrain } : {}),
    } as ExperimentModel;
  });
}

function checkFactors(c: Checker, v: unknown, field: string): Partial<Record<FactorName, FactorValue[]>> {
  const o = c.object(v, field, FACTOR_NAMES);
  const out: Partial<Record<FactorName, FactorValue[]>> = {};
  for (const [k, values] of Object.entries(o) as [FactorName, unknown][]) {
    const f = `${field}.${k}`;
    if (!Array.isArray(values) || values.length === 0) c.fail(f, `must be a non-empty array of values, got ${show(values)}`);
    const seen = new Set<string>();
    out[k] = values.map((value, i) => {
      const fi = `${f}[${i}]`;
      let checked: FactorValue;
      if ((MODEL_FACTORS as readonly string[]).includes(k)) {
        if (value === undefined) c.fail(fi, 'is missing');
        c.wrap(fi, () => resolveOptions({ [k]: value }));
        checked = value as FactorValue;
      } else {
        checked = c.rule(value, fi, TRAIN_SPECS[k as TrainFactorName]);
      }
      const key = JSON.stringify(checked);
      if (seen.has(key)) c.fail(fi, `repeats the value ${key}`);
      seen.add(key);
      return checked;
    });
  }
  return out;
}

function checkTrain(c: Checker, v: unknown, field: string): TrainSettings {
  const o = c.object(v, field, TRAIN_FACTORS);
  const out: Record<string, FactorValue> = {};
  for (const [k, value] of Object.entries(o)) out[k] = c.rule(value, `${field}.${k}`, TRAIN_SPECS[k as TrainFactorName]);
  return out as TrainSettings;
}

function checkSeeds(c: Checker, v: unknown, field: string): number[] {
  if (!Array.isArray(v) || v.length === 0) c.fail(field, `must be a non-empty array of integer seeds, got ${show(v)}`);
  if (v.length > LIMITS.seeds) c.fail(field, `has ${v.length} seeds; at most ${LIMITS.seeds}`);
  const seeds = v.map((s, i) => c.integer(s, `${field}[${i}]`, TRAIN_OPTIONS.seed.min, TRAIN_OPTIONS.seed.max));
  const seen = new Set<number>();
  for (const s of seeds) {
    if (seen.has(s)) c.fail(field, `repeats the seed ${s}`);
    seen.add(s);
  }
  return seeds;
}

function checkOverrides(c: Checker, v: unknown, field: string): ExperimentOverrides {
  const o = c.object(v, field, OVERRIDE_KEYS);
  const out: ExperimentOverrides = {};
  if (o.description !== undefined) out.description = c.string(o.description, `${field}.description`);
  if (o.dataset !== undefined) out.dataset = checkDataset(c, o.dataset, `${field}.dataset`, true);
  if (o.models !== undefined) out.models = checkModels(c, o.models, `${field}.models`);
  if (o.factors !== undefined) out.factors = checkFactors(c, o.factors, `${field}.factors`) as Factors;
  if (o.seeds !== undefined) out.seeds = checkSeeds(c, o.seeds, `${field}.seeds`);
  if (o.train !== undefined) out.train = checkTrain(c, o.train, `${field}.train`);
  return out;
}

/** The matrix's size before it is expanded, and every batch size against the training images it gets. */
function checkScale(c: Checker, e: ResolvedExperiment, field: string): void {
  const cells = Object.values(e.factors).reduce((n, values) => n * (values?.length ?? 1), e.models.length);
  const runs = cells * e.seeds.length;
  if (runs > LIMITS.runs) c.fail(`${field}factors`, `with the models and seeds make ${runs} runs; a matrix has at most ${LIMITS.runs}`);
  const d = e.dataset;
  if (d.trainSize === undefined) return; // the whole split: its size is known when the data loads (prepareRun checks)
  const images = d.trainSize - (d.valSize ?? 0);
  const batches = [e.train.batchSize, ...e.models.map((m) => m.train?.batchSize), ...((e.factors.batchSize as number[] | undefined) ?? [])];
  const big = batches.find((b) => b !== undefined && b > images);
  if (big !== undefined) {
    c.fail(`${field}train.batchSize`, `${big} is larger than the ${images} training images (dataset.trainSize less valSize): no training step would run`);
  }
}

function checkCombined(c: Checker, e: ResolvedExperiment, field: string): void {
  const d = e.dataset;
  if (d.valSize !== undefined && d.trainSize !== undefined && d.valSize >= d.trainSize) {
    c.fail(
      `${field}dataset.valSize`,
      `(${d.valSize}) must be smaller than dataset.trainSize (${d.trainSize}): validation images are carved out of the training subset`,
    );
  }
  checkScale(c, e, field);
  // every cell's model options must resolve (e.g. a factor value the model does not support)
  e.models.forEach((m, i) => {
    const { model, label: _label, maxSeeds: _maxSeeds, train: _train, ...options } = m;
    const modelFactors = Object.entries(e.factors).filter(([k]) => (MODEL_FACTORS as readonly string[]).includes(k));
    for (const [k, values] of modelFactors) {
      for (const value of values ?? [])
        c.wrap(`${field}models[${i}] with ${k} = ${JSON.stringify(value)}`, () => modelOptions(model, { ...options, [k]: value }));
    }
  });
}

/** Validates an experiment (untrusted: from a file) and every preset applied to it; `where` names the source. */
export function validateExperiment(raw: unknown, where = 'experiment'): Experiment {
  const c = new Checker(where);
  if (!isObj(raw)) c.fail('the default export', `must be an experiment object (export default defineExperiment({...})), got ${show(raw)}`);
  const o = c.object(raw, 'experiment', EXPERIMENT_KEYS);
  for (const k of ['name', 'description', 'dataset', 'models', 'seeds', 'train', 'presets'] as const) {
    if (o[k] === undefined) c.fail(k, `is required (an experiment has ${oneOf([...EXPERIMENT_KEYS])})`);
  }
  const e = {
    name: c.string(o.name, 'name', /^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a name of letters, digits, '.', '_' and '-'"),
    description: c.string(o.description, 'description'),
    dataset: checkDataset(c, o.dataset, 'dataset', false) as ExperimentDataset,
    models: checkModels(c, o.models, 'models'),
    factors: (o.factors === undefined ? {} : checkFactors(c, o.factors, 'factors')) as Factors,
    seeds: checkSeeds(c, o.seeds, 'seeds'),
    train: checkTrain(c, o.train, 'train'),
    presets: {} as Experiment['presets'],
  };
  const presets = c.object(o.presets, 'presets', Object.keys(isObj(o.presets) ? o.presets : {}));
  for (const p of REQUIRED_PRESETS) {
    if (presets[p] === undefined)
      c.fail(`presets.${p}`, `is missing: every experiment defines the presets ${oneOf([...REQUIRED_PRESETS])} (overrides, {} for none)`);
  }
  for (const [name, value] of Object.entries(presets)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) c.fail(`presets.${name}`, 'is not a valid preset name (letters, digits, _ and -)');
    (e.presets as Record<string, ExperimentOverrides>)[name] = checkOverrides(c, value, `presets.${name}`);
  }
  for (const name of Object.keys(e.presets)) checkCombined(c, applyPreset(e, name), `presets.${name} -> `);
  if (o.ladder !== undefined) {
    if (!Array.isArray(o.ladder) || !o.ladder.every((p) => typeof p === 'string')) c.fail('ladder', `must be a list of preset names, got ${show(o.ladder)}`);
    (e as Experiment).ladder = o.ladder as string[];
    c.wrap('ladder', () => ladderOf(e as Experiment));
  }
  return e;
}

/** Training images x epochs of each model entry of a resolved preset (null where the training set size is not set). */
export function entryBudgets(r: ResolvedExperiment): (number | null)[] {
  const d = r.dataset;
  const images = d.trainSize !== undefined ? d.trainSize - (d.valSize ?? 0) : null;
  return r.models.map((m) => {
    const epochs = m.train?.epochs ?? r.train.epochs;
    return images !== null && epochs !== undefined ? images * epochs : null;
  });
}

const ratioLabel = (x: number): string => `${Number(x.toFixed(2))}x`;

/**
 * The experiment's ladder (null when it declares none), checked: two or more distinct presets, each training the
 * same models, factors and seeds, every entry's budget (images x epochs) growing by the same ratio at each rung.
 */
export function ladderOf(e: Experiment): LadderDeclaration | null {
  if (!e.ladder) return null;
  const presets = [...e.ladder];
  if (presets.length < 2) throw new UserError(`a ladder needs 2 or more presets, got ${show(presets)}`);
  if (new Set(presets).size !== presets.length) throw new UserError(`repeats a preset: ${show(presets)}`);
  const rungs = presets.map((p) => resolvePreset(e, p));
  const shape = (r: ResolvedExperiment) => JSON.stringify({ models: r.models.map(({ train: _t, ...m }) => m), factors: r.factors, seeds: r.seeds });
  const budgets = rungs.map(entryBudgets);
  const ratiosOf = rungs.map((r, i) => {
    if (shape(r) !== shape(rungs[0]))
      throw new UserError(`preset '${r.preset}' trains other models, factors or seeds than '${rungs[0].preset}': a ladder's rungs differ only in budget`);
    if (budgets[i].some((b) => b === null))
      throw new UserError(`preset '${r.preset}' does not set dataset.trainSize and epochs: a rung's budget must be declared`);
    const ratios = budgets[i].map((b, k) => (b as number) / (budgets[0][k] as number));
    if (ratios.some((x) => Math.abs(x - ratios[0]) > 1e-9))
      throw new UserError(`preset '${r.preset}' scales its model entries' budgets by different ratios (${ratios.map(ratioLabel).join(', ')})`);
    if (i > 0 && !(ratios[0] > (budgets[i - 1][0] as number) / (budgets[0][0] as number)))
      throw new UserError(`preset '${r.preset}' does not train more than '${presets[i - 1]}': rungs go from the smallest budget to the largest`);
    return ratios[0];
  });
  return { presets, labels: ratiosOf.map(ratioLabel), budgets: ratiosOf };
}

/** The experiment with one preset's overrides applied, and the ladder it is a rung of; unknown preset -> UserError naming the presets. */
export function applyPreset(e: Experiment, preset: string): ResolvedExperiment {
  const r = resolvePreset(e, preset);
  const ladder = e.ladder?.includes(preset) ? ladderOf(e) : null;
  return ladder ? { ...r, ladder } : r;
}

function resolvePreset(e: Experiment, preset: string): ResolvedExperiment {
  const presets = e.presets as Record<string, ExperimentOverrides>;
  if (!Object.prototype.hasOwnProperty.call(presets, preset)) {
    throw new UserError(`unknown preset '${preset}' for experiment ${e.name}: its presets are ${oneOf(Object.keys(presets))}`);
  }
  const o = presets[preset];
  return {
    name: e.name,
    description: o.description ?? e.description,
    preset,
    dataset: { ...e.dataset, ...o.dataset },
    models: [...(o.models ?? e.models)].map((m) => ({ ...m })),
    factors: { ...e.factors, ...o.factors } as Partial<Record<FactorName, FactorValue[]>>,
    seeds: [...(o.seeds ?? e.seeds)],
    train: { ...e.train, ...o.train },
  };
}
