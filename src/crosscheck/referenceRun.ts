/**
 * A whole training run by the PyTorch reference trainer (scripts/torch_train.py `run`): what `ablate --engine torch`
 * runs for each cell and seed. The reference gets exactly the inputs our trainer's run of the same description gets:
 * the data subsets (prepareRun), the initial weights (Model.create with the run's seed, in PyTorch names), the batch
 * order of every epoch and every example's augmentation draws (checked against our own batches by streamFor); it
 * trains its own nn.Modules under the same protocol (loss, AdamW and its decay set, warm-up + cosine, lambda, BN).
 * Only the dropout masks are its own (torch's generator, seeded by the run's seed). So ours - PyTorch over seeds
 * measures what the engines do differently, not what the protocol does.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { epochOrder, numBatches } from '../data/batches.js';
import { saveSafetensors } from '../interop/safetensors.js';
import { toTorchStateDict } from '../interop/torchMapping.js';
import { cellToggles } from '../models/options.js';
import { Model } from '../nn/model.js';
import { describeRunData, prepareRun, type RunSpec, type RunSummary } from '../train/runTraining.js';
import type { EpochMetrics, TrainHooks } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic.js';
import { claimFolder } from '../util/fileLock.js';
import { UserError } from '../util/errors.js';
import { EXCHANGE_FORMAT, referenceTrainSettings, streamFor, writeData, writeJson, type StepBatch } from './exchange.js';
import { findTorchPython, referenceFailure, runReferenceScript, type TorchPython } from './python.js';
import { checkRunResult, newNonce, readReferenceResult } from './referenceResult.js';

/** The engine line a torch record carries where ours carries the tfjs backend. */
export const torchBackendName = (py: TorchPython): string => `torch ${py.torch} (cpu, 1 thread; python ${py.pythonVersion})`;

/** Every step's batch of a run: the epoch's order (epochOrder, as iterateBatches), full batches only. */
function runBatches(n: number, batchSize: number, epochs: number, seed: number): StepBatch[] {
  const steps = numBatches(n, batchSize, true);
  const out: StepBatch[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = epochOrder(n, { shuffle: true, seed, epoch });
    for (let k = 0; k < steps; k++) out.push({ epoch, indices: order.slice(k * batchSize, (k + 1) * batchSize) });
  }
  return out;
}

/** Writes the exchange folder of a whole run into `dir`. */
async function writeRunExchange(
  spec: RunSpec,
  dir: string,
  nonce: string,
): Promise<Pick<RunSummary, 'dataset' | 'classes' | 'testSet' | 'epochs' | 'toggles'>> {
  const prepared = await prepareRun(spec);
  const { cfg, splits, evalSet, options } = prepared;
  if (cfg.mergeAfterDecay) throw new UserError('mergeAfterDecay is not implemented in the PyTorch reference trainer');
  const stepsPerEpoch = numBatches(splits.train.n, cfg.batchSize, true);
  if (stepsPerEpoch < 1) throw new UserError(`${splits.train.n} training images give no full batch of ${cfg.batchSize}`);
  const model = Model.create(spec.model, options, 'train', spec.seed);
  try {
    saveSafetensors(path.join(dir, 'init.safetensors'), await toTorchStateDict(model.desc, model.weights), { format: String(EXCHANGE_FORMAT) });
    const testIsValidation = cfg.evalTest && splits.test === evalSet;
    const test = cfg.evalTest && !testIsValidation ? splits.test : undefined;
    writeJson(path.join(dir, 'settings.json'), {
      format: EXCHANGE_FORMAT,
      model: { name: spec.model, family: model.desc.family, options },
      train: referenceTrainSettings(cfg),
      run: { mode: 'run', steps: stepsPerEpoch * cfg.epochs, stepsPerEpoch, seed: spec.seed, threads: 1, dtype: 'float32', testIsValidation, nonce },
      data: {
        name: splits.train.name,
        n: splits.train.n,
        height: splits.train.height,
        width: splits.train.width,
        channels: splits.train.channels,
        numClasses: splits.train.numClasses,
      },
    });
    const stream = streamFor(splits.train, runBatches(splits.train.n, cfg.batchSize, cfg.epochs, cfg.seed), cfg.seed, cfg.augment);
    writeData(path.join(dir, 'data.safetensors'), splits.train, stream, { val: evalSet, test });
    const testSet = testIsValidation || test ? `${splits.test.name} (${splits.test.n})` : null;
    return { dataset: describeRunData(prepared), classes: splits.train.numClasses, testSet, epochs: cfg.epochs, toggles: cellToggles(options) };
  } finally {
    model.dispose();
  }
}

const num = (x: number | null | undefined): number => (typeof x === 'number' ? x : NaN);

/**
 * One run by the reference trainer. `out` (optional) gets metrics.jsonl and summary.json as a run of ours does (no
 * deploy weights); the exchange folder is a temporary one, removed afterwards.
 */
export async function runReferenceTraining(
  spec: RunSpec,
  out: string | null,
  hooks: TrainHooks = {},
  py: TorchPython = findTorchPython(),
): Promise<RunSummary & { engine: string; deployMaxLogitDiff: number | null }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vanillabench-torch-'));
  let release = () => {};
  try {
    const nonce = newNonce();
    const { dataset, classes, testSet, epochs, toggles } = await writeRunExchange(spec, dir, nonce);
    release = out ? claimFolder(out, 'the run folder') : () => {};
    const r = await runReferenceScript(py.python, ['run', dir], (e) => {
      if (e.event === 'step') hooks.onStep?.(e as unknown as Parameters<NonNullable<TrainHooks['onStep']>>[0]);
      if (e.event === 'epoch') {
        const m = e.metrics as EpochMetrics;
        if (out) appendFileSync(path.join(out, 'metrics.jsonl'), `${JSON.stringify(m)}\n`);
        hooks.onEpoch?.(m);
      }
    });
    if (r.status !== 0) throw referenceFailure(r);
    // checked before use: this run's nonce, a known status, every epoch (else the run is recorded as failed, saying why)
    const res = checkRunResult(readReferenceResult(dir, nonce), path.join(dir, 'torch', 'result.json'), epochs);
    const summary: RunSummary & { engine: string; deployMaxLogitDiff: number | null } = {
      model: spec.model,
      toggles,
      dataset,
      classes,
      seed: spec.seed,
      epochs: res.epochs.length || epochs,
      status: res.status,
      message: res.message,
      trainTop1: num(res.trainTop1),
      valTop1: num(res.valTop1),
      deployValTop1: res.deployValTop1 ?? null,
      testTop1: res.status === 'ok' ? (res.testTop1 ?? null) : null,
      deployTestTop1: res.status === 'ok' ? (res.deployTestTop1 ?? null) : null,
      testSet: res.status === 'ok' ? testSet : null,
      imagesPerSec: res.imagesPerSec,
      wallSeconds: res.wallSeconds,
      metrics: res.epochs,
      engine: torchBackendName(py),
      deployMaxLogitDiff: res.deployMaxLogitDiff ?? null,
    };
    if (out) writeFileAtomic(path.join(out, 'summary.json'), JSON.stringify({ ...summary, metrics: undefined }, null, 2));
    return summary;
  } finally {
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}
