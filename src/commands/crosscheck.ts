/** `vanillabench crosscheck`: our trainer against the PyTorch reference trainer, step by step. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { RECIPE_FLAGS, RUN_FLAGS, trainSettingsFromFlags } from './trainerFlags.js';
import { crosscheck } from '../crosscheck/crosscheck.js';
import { findTorchPython } from '../crosscheck/python.js';
import { LIMITS } from '../train/limits.js';
import { DEFAULT_TRAIN_CONFIG } from '../train/options.js';
import { DATASET_NAMES } from '../data/registry.js';
import { BACKENDS, backendSummary, selectBackend } from '../backend/select.js';
import { checkModelName } from '../models/zoo.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { log, printJson } from '../util/output.js';
import { UserError } from '../util/errors.js';
import { tryLock, unlock } from '../util/fileLock.js';
import { checkOutputDir } from '../util/outputDir.js';

export const summary = 'train a few steps here and in PyTorch (scripts/torch_train.py) from the same weights and batches; compare loss, lr, lambda and weights';

const D = DEFAULT_TRAIN_CONFIG;
const { default: _epochs, ...RUN_EPOCHS } = RUN_FLAGS.epochs;
const SPEC = {
  command: 'crosscheck',
  summary,
  flags: {
    model: { type: 'string', default: 'vanillanet-6', description: 'model name (see zoo)' },
    steps: { type: 'number', integer: true, min: 1, max: LIMITS.steps, default: 20, description: 'training steps to compare' },
    seed: { type: 'number', integer: true, default: 0, description: 'seed (weights, data order, augmentation)' },
    dataset: { type: 'string', default: 'synthetic', choices: ['default', ...DATASET_NAMES], description: 'data (default: synthetic, always available)' },
    data: { type: 'string', description: 'dataset directory', valueName: 'dir' },
    trainSize: { type: 'number', integer: true, min: 1, max: LIMITS.images, default: 64, description: 'training images (subset)' },
    // the trainer's flags with a crosscheck's defaults: tiny runs, a batch that has statistics
    batchSize: { ...RUN_FLAGS.batchSize, min: 2, default: 16 },
    epochs: { ...RUN_EPOCHS, description: 'epochs of the schedule (default: just enough for --steps)' },
    lr: {
      ...RUN_FLAGS.lr,
      default: 5e-5,
      description: `peak learning rate (AdamW; the trainer's ${D.lr} makes these tiny runs chaotic: float32 rounding alone parts them at 1e-3 within a few steps)`,
    },
    ...RECIPE_FLAGS,
    augment: { ...RUN_FLAGS.augment, default: true },
    tolerance: { type: 'number', min: 0, default: 1e-3, description: 'largest acceptable per-step loss relative error over the first --check-steps steps' },
    checkSteps: { type: 'number', integer: true, min: 0, default: 20, description: 'steps the tolerance applies to' },
    python: { type: 'string', description: 'Python 3 with torch (default: $VANILLABENCH_PYTHON, python3, /usr/bin/python3)', valueName: 'path' },
    init: {
      type: 'string',
      choices: ['perturbed', 'plain'],
      default: 'perturbed',
      description: 'perturbed: BN affine, biases and BN statistics randomised (see docs/crosscheck.md); plain: the ordinary initialisation',
    },
    referenceDtype: {
      type: 'string',
      choices: ['float32', 'float64'],
      default: 'float32',
      description: 'precision of the reference (float64: what float32 rounding alone does)',
    },
    resync: {
      type: 'boolean',
      default: true,
      description: 'also compare each step on its own, the reference restarted from our state after the previous step',
    },
    threads: { type: 'number', integer: true, min: 1, max: 1024, default: 1, description: 'torch threads in the reference' },
    out: { type: 'string', description: 'keep the exchange folder here: a new or empty folder (default: a temporary folder, removed)', valueName: 'dir' },
    backend: { type: 'string', default: 'wasm', choices: BACKENDS, description: 'tfjs backend of our trainer' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

/**
 * The exchange folder: a temporary one, or --out checked before any work and claimed: new or empty (files left
 * there by an earlier run could pass for the reference's output), and held by this run alone (its lock).
 */
function exchangeFolder(out: string | undefined): { dir: string; release: () => void } {
  if (out === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'vanillabench-crosscheck-'));
    return { dir, release: () => rmSync(dir, { recursive: true, force: true }) };
  }
  checkOutputDir(out);
  mkdirSync(out, { recursive: true });
  const lock = path.join(out, '.crosscheck.lock');
  const owner = tryLock(lock);
  if (owner !== null) throw new UserError(`--out ${out} is in use by another crosscheck (pid ${owner})`);
  const held = readdirSync(out).filter((name) => name !== '.crosscheck.lock');
  if (held.length > 0) {
    unlock(lock);
    throw new UserError(
      `--out ${out} is not empty (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', ...' : ''}): the exchange needs a new or empty folder, so that no earlier result can pass for this run's`,
    );
  }
  return { dir: out, release: () => unlock(lock) };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  checkModelName(f.model);
  const { dir, release } = exchangeFolder(f.out);
  try {
    await crosscheckCommand(f, dir);
  } finally {
    release();
  }
}

type Flags = NonNullable<ReturnType<typeof parseCommandFlags<typeof SPEC>>>;

async function crosscheckCommand(f: Flags, dir: string): Promise<void> {
  const py = findTorchPython(f.python);
  const backend = await selectBackend(f.backend, { log });
  const stepsPerEpoch = Math.floor(f.trainSize / f.batchSize);
  if (stepsPerEpoch < 1) throw new UserError(`--train-size ${f.trainSize} gives no full batch of ${f.batchSize}`);
  const epochs = f.epochs ?? Math.ceil(f.steps / stepsPerEpoch);
  const r = await crosscheck(
    {
      model: f.model,
      modelOptions: modelOptionsFromFlags({ ...f, input: undefined, classes: undefined }, { width: 1 / 16 }),
      data: { name: f.dataset, dir: f.data, trainSize: f.trainSize, inputSize: f.input ?? 32 },
      train: trainSettingsFromFlags({ ...f, epochs }),
      seed: f.seed,
      steps: f.steps,
      dir,
      threads: f.threads,
      init: f.init as 'perturbed' | 'plain',
      referenceDtype: f.referenceDtype as 'float32' | 'float64',
      resync: f.resync,
    },
    py,
    log,
  );
  // the tolerance applies to each step on its own (resynchronised) when there is that comparison: free-running
  // runs part through float32 rounding in chaotic settings (both numbers are printed)
  const checked = r.perStep.slice(0, f.checkSteps);
  const err = (s: (typeof checked)[number]) => s.resync?.lossRelErr ?? s.loss.relErr;
  const bad = checked.filter((s) => !(err(s) <= f.tolerance));
  const doc = { ...r, backend: backend.name, tfjsVersion: backend.tfjsVersion, tolerance: f.tolerance, checkSteps: f.checkSteps, dir: f.out ?? null };
  if (f.json) printJson(doc);
  else {
    console.log(
      `${r.model} ${JSON.stringify(r.toggles)} on ${r.data}; ours: ${backendSummary(backend)}; reference: torch ${r.torch}, python ${r.python} (${r.interpreter})`,
    );
    console.log('step  epoch  loss (ours)   loss (torch)  rel.err    one-step   lr (ours/torch)          lambda (ours/torch)');
    for (const s of r.perStep) {
      const one = s.resync ? s.resync.lossRelErr.toExponential(2) : '-';
      console.log(
        `${String(s.step).padStart(4)}  ${String(s.epoch).padStart(5)}  ${s.loss.ours.toFixed(6).padStart(11)}  ${s.loss.torch.toFixed(6).padStart(12)}  ${s.loss.relErr.toExponential(2).padStart(9)}  ${one.padStart(9)}  ${s.lr.ours.toExponential(4)}/${s.lr.torch.toExponential(4)}  ${s.lambda.ours.toFixed(4)}/${s.lambda.torch.toFixed(4)}`,
      );
    }
    if (r.resync)
      console.log(
        `each step on its own: max loss rel.err ${r.resync.maxLossRelErr.toExponential(2)}, first over 1e-3: ${r.resync.firstStepOver1e3 ?? 'none'}, worst tensor ${r.resync.worstTensor.name} ${r.resync.worstTensor.relErr.toExponential(2)} (step ${r.resync.worstTensor.step})`,
      );
    console.log(
      `max loss rel.err ${r.maxLossRelErr.toExponential(2)}; first step over 1e-3: ${r.firstStepOver1e3 ?? 'none'}; lr max abs err ${r.lrMaxAbsErr.toExponential(1)}, lambda ${r.lambdaMaxAbsErr.toExponential(1)}`,
    );
    console.log(
      `worst tensor after step ${r.steps}: ${r.worstTensor.name} ${r.worstTensor.relErr.toExponential(2)} (without the ${r.gradientFree.length} gradient-free ones: trainable ${r.worstTrainable.name} ${r.worstTrainable.relErr.toExponential(2)}${r.worstRunningStat ? `; running stats: ${r.worstRunningStat.name} ${r.worstRunningStat.relErr.toExponential(2)}` : ''})`,
    );
    for (const n of r.notes) console.log(`note: ${n}`);
  }
  if (bad.length)
    throw new UserError(
      `loss differs from PyTorch by more than ${f.tolerance} (relative${r.resync ? ', each step on its own' : ''}) at ${bad.length} of the first ${checked.length} steps, first at step ${bad[0].step} (${bad[0].loss.ours} vs ${bad[0].resync?.loss ?? bad[0].loss.torch})`,
    );
}
