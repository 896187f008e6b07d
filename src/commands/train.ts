/** `vanillabench train`: one training run with the paper's toggles, then merge and evaluate the deploy form. */
import { LIMITS } from '../train/limits.js';
import { join } from 'node:path';
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { RECIPE_FLAGS } from './trainerFlags.js';
import { runTraining, resolveDatasetName } from '../train/runTraining.js';
import { DEFAULT_TRAIN_CONFIG } from '../train/trainer.js';
import { defaultDecayEpochs } from '../train/schedule.js';
import { DATASET_NAMES } from '../data/registry.js';
import { BACKENDS, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { runProvenance } from '../util/provenance.js';
import { log, printJson, progressBar } from '../util/output.js';
import { checkModelName } from '../models/zoo.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputDir.js';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';

export const summary = 'train one model (toggles, dataset, seed), merge it, evaluate both forms, save the deploy weights';

const D = DEFAULT_TRAIN_CONFIG;
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
      default: 0,
      description: 'validation images carved from the training set (0: evaluate on the test split)',
    },
    testSize: { type: 'number', integer: true, min: 1, max: LIMITS.images, description: 'test images (subset)' },
    epochs: { type: 'number', integer: true, min: 1, max: LIMITS.epochs, default: D.epochs, description: 'epochs' },
    batchSize: { type: 'number', integer: true, min: 1, max: LIMITS.batchSize, default: D.batchSize, description: 'batch size' },
    lr: { type: 'number', min: 0, max: LIMITS.rate, default: D.lr, description: 'peak learning rate (AdamW)' },
    ...RECIPE_FLAGS,
    mergeAfterDecay: { type: 'boolean', default: false, description: 'merge the conv pairs once lambda = 1 and keep training the merged model' },
    augment: { type: 'boolean', default: false, description: 'random crop (padding 4) + horizontal flip, training batches only' },
    evalTest: { type: 'boolean', default: D.evalTest, description: 'score the final model (both forms) on the test split too' },
    seed: { type: 'number', integer: true, default: 0, description: 'seed (data order, init, dropout)' },
    out: { type: 'string', description: 'output folder (default results/runs/<model>-<toggles>-s<seed>)', valueName: 'dir' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  checkModelName(f.model);
  if (f.out !== undefined) checkOutputDir(f.out); // before the backend and the dataset load
  const backend = await selectBackend(f.backend, { log });
  const input = f.input ?? 32;
  const modelOpts = modelOptionsFromFlags({ ...f, input: undefined, classes: undefined }, { width: 1 / 16 });
  const tag = [f.model, `dt-${f.deepTraining ?? 'default'}`, `sa-${f.seriesAct ?? 'default'}`, `sc-${f.shortcut ?? 'default'}`, `s${f.seed}`].join('_');
  const out = f.out ?? join('results', 'runs', tag);
  const spec = {
    model: f.model,
    modelOptions: modelOpts,
    data: { name: f.dataset, dir: f.data, trainSize: f.trainSize, testSize: f.testSize, valSize: f.valSize, inputSize: input },
    train: {
      epochs: f.epochs,
      batchSize: f.batchSize,
      lr: f.lr,
      minLr: f.minLr,
      weightDecay: f.weightDecay,
      warmupEpochs: f.warmupEpochs,
      labelSmoothing: f.labelSmoothing,
      decayEpochs: f.decayEpochs ?? defaultDecayEpochs(f.epochs),
      lambdaShape: f.lambdaShape,
      lambdaPer: f.lambdaPer,
      mergeAfterDecay: f.mergeAfterDecay,
      augment: f.augment,
      evalTest: f.evalTest,
    },
    seed: f.seed,
  };
  log(`dataset ${resolveDatasetName(f.dataset)}; writing ${out}`);
  let bar: ReturnType<typeof progressBar> | null = null;
  const s = await runTraining(spec, out, {
    onStep: (p) => {
      if (!bar) bar = progressBar('train', p.stepsPerEpoch * f.epochs);
      bar.tick(1, `epoch ${p.epoch + 1}/${f.epochs} loss ${p.loss.toFixed(3)} ${p.imagesPerSec.toFixed(0)} img/s`);
    },
    onEpoch: (m) =>
      log(
        `epoch ${m.epoch}: lambda ${m.lambda.toFixed(2)} train top-1 ${m.trainTop1.toFixed(2)} val top-1 ${m.valTop1.toFixed(2)} (${m.imagesPerSec.toFixed(0)} img/s)`,
      ),
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
    out,
  };
  if (f.json) printJson(s.status === 'ok' ? result : { ...result, message: s.message });
  else
    console.log(
      `${s.model}: val top-1 ${s.valTop1.toFixed(2)} (deploy ${s.deployValTop1?.toFixed(2) ?? '-'})${s.testTop1 !== null ? `, test top-1 ${s.testTop1.toFixed(2)} (deploy ${s.deployTestTop1?.toFixed(2) ?? '-'}) on ${s.testSet}` : ''}, ${s.imagesPerSec.toFixed(0)} img/s, ${s.wallSeconds.toFixed(1)} s on ${backend.name}${backend.adapter ? ` (${backend.adapter.name})` : ''}; ${out}`,
    );
  if (s.status !== 'ok') throw new UserError(`run ${s.status}: ${s.message}; metrics so far are in ${out}/metrics.jsonl`);
}
