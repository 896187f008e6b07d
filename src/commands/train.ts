/** `vanillabench train`: one training run with the paper's toggles, then merge and evaluate the deploy form. */
import { LIMITS } from '../train/limits.js';
import { join } from 'node:path';
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { RECIPE_FLAGS, RUN_FLAGS, trainSettingsFromFlags } from './trainerFlags.js';
import { runTraining, resolveDatasetName, type PreparedRun, type RunSpec } from '../train/runTraining.js';
import type { EpochMetrics } from '../train/trainer.js';
import { nearChanceWarning } from '../train/nearChance.js';
import { DATASET_NAMES } from '../data/registry.js';
import { BACKENDS, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { runProvenance } from '../util/provenance.js';
import { log, printJson, progressBar } from '../util/output.js';
import { checkModelName } from '../models/zoo.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputDir.js';
import { existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';

export const summary = 'train one model (toggles, dataset, seed), merge it, evaluate both forms, save the deploy weights';

/** without --val-size: the validation split's share of the training subset, so that the test split stays unseen */
const VAL_FRACTION = 0.1;
const SPEC = {
  command: 'train',
  summary,
  flags: {
    model: { type: 'string', default: 'vanillanet-6', description: 'model name (see zoo)' },
    dataset: {
      type: 'string',
      default: 'default',
      choices: ['default', ...DATASET_NAMES],
      description: 'default: Fashion-MNIST when installed, else synthetic',
    },
    data: { type: 'string', description: 'dataset directory', valueName: 'dir' },
    trainSize: { type: 'number', integer: true, min: 1, max: LIMITS.images, description: 'training images (subset)' },
    valSize: {
      type: 'number',
      integer: true,
      min: 0,
      description: `validation images carved from the training subset, scored every epoch (default: ${VAL_FRACTION * 100}% of it; 0: none, the epochs are scored on the test split)`,
    },
    testSize: { type: 'number', integer: true, min: 1, max: LIMITS.images, description: 'test images (subset)' },
    ...RUN_FLAGS,
    ...RECIPE_FLAGS,
    seed: { type: 'number', integer: true, default: 0, description: 'seed (data order, init, dropout)' },
    out: { type: 'string', description: 'output folder (default results/runs/<model>-<toggles>-s<seed>)', valueName: 'dir' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

/** One line per epoch: the schedule, then training and the scored split, each with its loss and top-1. */
function epochLine(m: EpochMetrics, epochs: number, split: string): string {
  return (
    `epoch ${m.epoch}/${epochs}: lambda ${m.lambda.toFixed(2)}, lr ${m.lr.toExponential(2)} | train loss ${m.trainLoss.toFixed(4)} top-1 ${m.trainTop1.toFixed(2)}` +
    ` | ${split} loss ${m.valLoss.toFixed(4)} top-1 ${m.valTop1.toFixed(2)} | ${m.imagesPerSec.toFixed(0)} img/s`
  );
}

/** "data: 1350 train / 150 validation (scored every epoch) / 500 test (scored at the end), 32x32". */
function describeSplits(p: PreparedRun): string {
  const { splits, evalSet, options } = p;
  const val = splits.validation && splits.validation.n > 0 ? ` / ${splits.validation.n} validation (scored every epoch)` : '';
  const test = evalSet === splits.test ? 'test (scored every epoch: --val-size 0)' : 'test (scored at the end)';
  return `data: ${splits.train.n} train${val} / ${splits.test.n} ${test}, ${options.inputSize}x${options.inputSize}`;
}

type Flags = NonNullable<ReturnType<typeof parseCommandFlags<typeof SPEC>>>;

/** The run the flags describe. */
function runSpec(f: Flags, modelOptions: RunSpec['modelOptions']): RunSpec {
  return {
    model: f.model,
    modelOptions,
    data: {
      name: f.dataset,
      dir: f.data,
      trainSize: f.trainSize,
      testSize: f.testSize,
      valSize: f.valSize,
      valFraction: VAL_FRACTION,
      inputSize: f.input ?? 32,
    },
    train: trainSettingsFromFlags(f),
    seed: f.seed,
  };
}

/** The files a finished or running `train` leaves in its folder. */
const RUN_FILES = ['provenance.json', 'metrics.jsonl'];
const holdsRun = (dir: string): boolean => RUN_FILES.some((n) => existsSync(join(dir, n)));

/** The default folder of a run: `base`, or `base-2`, `-3`, ... where earlier runs are kept (never overwritten). */
function freshRunFolder(base: string): string {
  if (!holdsRun(base)) return base;
  for (let i = 2; ; i++) if (!holdsRun(`${base}-${i}`)) return `${base}-${i}`;
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  checkModelName(f.model);
  if (f.out !== undefined) checkOutputDir(f.out); // before the backend and the dataset load
  if (f.out !== undefined && holdsRun(f.out))
    throw new UserError(
      `--out ${f.out} already holds a training run (${RUN_FILES.filter((n) => existsSync(join(f.out!, n))).join(', ')}): give another folder, or remove it first (nothing was written)`,
    );
  const backend = await selectBackend(f.backend, { log });
  const modelOpts = modelOptionsFromFlags({ ...f, input: undefined, classes: undefined }, { width: 1 / 16 });
  const tag = [f.model, `dt-${f.deepTraining ?? 'default'}`, `sa-${f.seriesAct ?? 'default'}`, `sc-${f.shortcut ?? 'default'}`, `s${f.seed}`].join('_');
  const out = f.out ?? freshRunFolder(join('results', 'runs', tag));
  const spec = runSpec(f, modelOpts);
  if (f.out === undefined && out !== join('results', 'runs', tag)) log(`results/runs/${tag} holds an earlier run (kept)`);
  log(`dataset ${resolveDatasetName(f.dataset)}; writing ${out}`);
  let bar: ReturnType<typeof progressBar> | null = null;
  let evalSplit = 'validation';
  let steps = 0;
  let classes = 10;
  const s = await runTraining(spec, out, {
    onPrepared: (p) => {
      evalSplit = p.evalSet === p.splits.validation ? 'validation' : 'test';
      classes = p.splits.train.numClasses;
      log(describeSplits(p));
    },
    onStep: (p) => {
      if (!bar) bar = progressBar('train', p.stepsPerEpoch * f.epochs);
      steps++;
      bar.tick(1, `epoch ${p.epoch + 1}/${f.epochs} loss ${p.loss.toFixed(3)} ${p.imagesPerSec.toFixed(0)} img/s`);
    },
    onEpoch: (m) => log(epochLine(m, f.epochs, evalSplit)),
  });
  (bar as ReturnType<typeof progressBar> | null)?.finish();
  const provenance = runProvenance(process.argv.slice(2), backend, f.seed);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, 'provenance.json'), JSON.stringify(provenance, null, 2));
  const result = {
    model: s.model,
    toggles: s.toggles,
    dataset: s.dataset,
    backend: backend.name,
    ...(backend.adapter ? { gpu: backend.adapter.name } : {}),
    tfjsVersion: backend.tfjsVersion,
    status: s.status,
    epochs: s.epochs,
    trainTop1: s.trainTop1,
    valTop1: s.valTop1,
    deployValTop1: s.deployValTop1,
    testTop1: s.testTop1,
    deployTestTop1: s.deployTestTop1,
    testSet: s.testSet,
    imagesPerSec: s.imagesPerSec,
    wallSeconds: s.wallSeconds,
    warnings: [] as string[],
    out,
  };
  const last = s.metrics.at(-1);
  const warning = last ? nearChanceWarning({ trainTop1: last.trainTop1, evalTop1: last.valTop1, evalSplit, classes, steps, bnMomentum: f.bnMomentum }) : null;
  if (warning) {
    result.warnings.push(warning);
    log(`warning: ${warning}`);
  }
  if (f.json) printJson(s.status === 'ok' ? result : { ...result, message: s.message });
  else
    console.log(
      `${s.model}: ${evalSplit === 'validation' ? `validation top-1 ${s.valTop1.toFixed(2)} (deploy ${s.deployValTop1?.toFixed(2) ?? '-'}), ` : ''}${s.testTop1 !== null ? `test top-1 ${s.testTop1.toFixed(2)} (deploy ${s.deployTestTop1?.toFixed(2) ?? '-'}) on ${s.testSet}, ` : ''}${s.imagesPerSec.toFixed(0)} img/s, ${s.wallSeconds.toFixed(1)} s on ${backend.name}${backend.adapter ? ` (${backend.adapter.name})` : ''}; ${out}`,
    );
  if (s.status !== 'ok') throw new UserError(`run ${s.status}: ${s.message}; metrics so far are in ${out}/metrics.jsonl`);
}
