/**
 * One training run from a plain description (model + toggles, dataset, trainer settings, seed): the unit that
 * `train` runs once and the ablation runner runs per cell x seed. Writes per-epoch metrics (JSONL, one complete
 * line per epoch, fsynced) and the final deploy weights (TF.js LayersModel) when given an output folder.
 */
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { claimFolder } from '../util/fileLock.js';
import { join } from 'node:path';
import type { Dataset, DatasetSplits } from '../data/dataset.js';
import { datasetPreprocessing, type DatasetPreprocessing } from '../data/preprocessing.js';
import { loadDataset } from '../data/registry.js';
import { prepareSplits } from '../data/transforms.js';
import { numBatches } from '../data/batches.js';
import { LIMITS } from './limits.js';
import { fashionMnistAvailable } from '../data/fashionMnist.js';
import { modelOptions } from '../models/zoo.js';
import { cellToggles, type CellToggles, type ModelOptions } from '../models/options.js';
import { Model } from '../nn/model.js';
import { saveLayersModel, toLayersModel } from '../nn/export.js';
import { train, type EpochMetrics, type TrainHooks } from './trainer.js';
import { resolveTrainConfig, type TrainConfig } from './options.js';
import { UserError } from '../util/errors.js';

export interface DataSpec {
  /** fashion-mnist, mnist, cifar10, cifar100, image-folder, synthetic, or 'default' (Fashion-MNIST when installed, else synthetic) */
  name: string;
  dir?: string;
  trainSize?: number;
  testSize?: number;
  valSize?: number;
  /** without valSize: this fraction of the training subset is carved out for validation */
  valFraction?: number;
  /** model input size; images are zero-padded (28 -> 32) or resized to it */
  inputSize: number;
}

export interface RunSpec {
  model: string;
  /** model options over the family defaults (toggles, width, ...); inputSize/numClasses come from the data */
  modelOptions: Partial<Record<string, unknown>>;
  data: DataSpec;
  train: Partial<TrainConfig>;
  seed: number;
}

export interface RunSummary {
  model: string;
  toggles: CellToggles;
  dataset: string;
  /** the dataset's classes (chance is 100 / classes %) */
  classes: number;
  seed: number;
  epochs: number;
  status: 'ok' | 'diverged';
  message?: string;
  trainTop1: number;
  valTop1: number;
  deployValTop1: number | null;
  /** final top-1 on the test split (e.g. Fashion-MNIST's official t10k files, or testSize of them), trained form at
   *  lambda 1 and deploy form; null when not scored (evalTest off) or the run diverged */
  testTop1: number | null;
  deployTestTop1: number | null;
  /** the split testTop1 was scored on, e.g. "fashion-mnist/test (10000)"; null when not scored */
  testSet: string | null;
  imagesPerSec: number;
  wallSeconds: number;
  metrics: EpochMetrics[];
}

export function resolveDatasetName(name: string): string {
  if (name !== 'default') return name;
  return fashionMnistAvailable() ? 'fashion-mnist' : 'synthetic';
}

/** The prepared splits and how an image of the dataset became a model input (recorded with the trained model). */
export type RunData = DatasetSplits & { preprocessing: DatasetPreprocessing };

const splitCache = new Map<string, RunData>();

/** Loads and prepares the data once per process (a worker runs many cells on the same data). */
export async function loadRunData(spec: DataSpec, seed: number, channels: number): Promise<RunData> {
  const name = resolveDatasetName(spec.name);
  const k = JSON.stringify({ ...spec, name, seed, channels });
  const hit = splitCache.get(k);
  if (hit) return hit;
  const raw = await loadDataset(name, {
    dir: spec.dir,
    seed,
    trainSize: spec.trainSize,
    testSize: spec.testSize,
    valSize: spec.valSize || undefined,
    valFraction: spec.valSize === undefined ? spec.valFraction : undefined,
    imageSize: spec.inputSize,
  });
  const method = raw.train.height < spec.inputSize ? 'pad' : 'resize';
  const prepared = prepareSplits(raw, { height: spec.inputSize, width: spec.inputSize, channels, method, normalize: true });
  const splits = { ...prepared, preprocessing: datasetPreprocessing(name, raw.train, method, spec.inputSize, channels, prepared.stats!) };
  splitCache.set(k, splits);
  return splits;
}

/** What a run trains on and with, before training: shared by our trainer and the PyTorch reference (--engine torch). */
export interface PreparedRun {
  cfg: TrainConfig;
  splits: RunData;
  /** scored after every epoch: the validation split, or the test split when there is none */
  evalSet: Dataset;
  options: ModelOptions;
}

export async function prepareRun(spec: RunSpec): Promise<PreparedRun> {
  const cfg: TrainConfig = { ...resolveTrainConfig(spec.train), seed: spec.seed };
  if (!(cfg.epochs >= 1)) throw new UserError(`epochs must be at least 1, got ${cfg.epochs}`);
  if (!(cfg.epochs <= LIMITS.epochs)) throw new UserError(`epochs must be at most ${LIMITS.epochs}, got ${cfg.epochs}`);
  const splits = await loadRunData(spec.data, spec.seed, 3);
  // a batch larger than the training split gives no full batch: the run would take no step and still look done
  if (numBatches(splits.train.n, cfg.batchSize, true) < 1) {
    throw new UserError(`batch size ${cfg.batchSize} is larger than the ${splits.train.n} training images: no training step would run`);
  }
  const evalSet = splits.validation && splits.validation.n > 0 ? splits.validation : splits.test;
  const options = modelOptions(spec.model, {
    ...spec.modelOptions,
    inputSize: spec.data.inputSize,
    numClasses: splits.train.numClasses,
    inputChannels: splits.train.channels,
  });
  return { cfg, splits, evalSet, options };
}

/** The summary's description of the data, e.g. "fashion-mnist/train (10000 train / 2000 validation, 32x32)". */
export function describeRunData(p: PreparedRun): string {
  const { splits, evalSet, options } = p;
  return `${splits.train.name} (${splits.train.n} train / ${evalSet.n} ${evalSet === splits.validation ? 'validation' : 'test'}, ${options.inputSize}x${options.inputSize})`;
}

export interface RunHooks extends TrainHooks {
  /** once the data are loaded, before the first step: what the run trains on and scores every epoch */
  onPrepared?: (p: PreparedRun) => void;
}

export async function runTraining(spec: RunSpec, out: string | null, hooks: RunHooks = {}): Promise<RunSummary> {
  const prepared = await prepareRun(spec);
  hooks.onPrepared?.(prepared);
  const { cfg, splits, evalSet, options } = prepared;
  const model = Model.create(spec.model, options, 'train', spec.seed);
  let metricsFd: number | null = null;
  // one writer per run folder (e.g. a leftover worker of a killed coordinator, or a queue job taken twice)
  const release = out ? claimFolder(out, 'the run folder') : () => {};
  try {
    if (out) metricsFd = openSync(join(out, 'metrics.jsonl'), 'w');
    const result = await train(
      model,
      splits.train,
      evalSet,
      cfg,
      {
        onStep: hooks.onStep,
        onEpoch: (m) => {
          if (metricsFd !== null) {
            appendFileSync(metricsFd, `${JSON.stringify(m)}\n`);
            fsyncSync(metricsFd);
          }
          hooks.onEpoch?.(m);
        },
      },
      splits.test,
    );
    const summary: RunSummary = {
      model: spec.model,
      toggles: cellToggles(options),
      dataset: describeRunData(prepared),
      classes: splits.train.numClasses,
      seed: spec.seed,
      epochs: result.epochs.length,
      status: result.status,
      message: result.message,
      trainTop1: result.trainTop1,
      valTop1: result.valTop1,
      deployValTop1: result.deployValTop1,
      testTop1: result.testTop1,
      deployTestTop1: result.deployTestTop1,
      testSet: result.testTop1 !== null ? `${splits.test.name} (${splits.test.n})` : null,
      imagesPerSec: result.imagesPerSec,
      wallSeconds: result.wallSeconds,
      metrics: result.epochs,
    };
    if (out && result.deploy) {
      await saveLayersModel(toLayersModel(result.deploy.desc, result.deploy.weights), join(out, 'deploy'), {
        spec,
        summary: { ...summary, metrics: undefined },
        // what predict and evaluate must do to an image, and what its outputs mean
        preprocessing: splits.preprocessing,
        ...(splits.train.classNames ? { classNames: splits.train.classNames } : {}),
      });
    }
    if (out) {
      writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
    }
    result.deploy?.dispose();
    return summary;
  } finally {
    if (metricsFd !== null) closeSync(metricsFd);
    model.dispose();
    release();
  }
}
