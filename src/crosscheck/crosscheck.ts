/**
 * Step-by-step equivalence of our trainer with the PyTorch reference trainer: our trainer runs `steps`
 * steps and records what it did (loss, learning rate, lambda, batch indices); the exchange folder gets our initial
 * weights, the data and the batch stream, and the trainer settings (never our per-step values: the reference
 * computes its own schedule); scripts/torch_train.py trains its own nn.Modules on them; then we compare the loss,
 * learning rate and lambda at every step and every tensor after the last step (BN running statistics included).
 *
 * Dropout is run at rate 0 (its masks are not exported).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { numBatches } from '../data/batches.js';
import { loadDataset } from '../data/registry.js';
import { fashionMnistAvailable } from '../data/fashionMnist.js';
import { prepareSplits } from '../data/transforms.js';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import { toTorchStateDict, torchParams } from '../interop/torchMapping.js';
import type { LoadedTensor } from '../interop/tensor.js';
import { modelOptions } from '../models/zoo.js';
import { cellToggles, type CellToggles } from '../models/options.js';
import { nodeIndex, type ModelDescription } from '../models/graph.js';
import { Model } from '../nn/model.js';
import { randomizeForCheck } from '../nn/weights.js';
import { train } from '../train/trainer.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/options.js';
import type { AdamW } from '../train/adamw.js';
import { UserError } from '../util/errors.js';
import { EXCHANGE_FORMAT, referenceTrainSettings, streamFor, writeData, writeJson, type StepBatch } from './exchange.js';
import { referenceFailure, runReferenceScript, type TorchPython } from './python.js';
import { checkStepsResult, newNonce, readReferenceResult, type ReferenceSteps } from './referenceResult.js';

export interface CrosscheckSpec {
  model: string;
  /** model options over the family defaults (toggles, width, stem); input size and classes come from the data */
  modelOptions: Partial<Record<string, unknown>>;
  data: { name: string; dir?: string; trainSize: number; inputSize: number };
  train: Partial<TrainConfig>;
  seed: number;
  steps: number;
  /** the exchange folder (created) */
  dir: string;
  /** torch threads in the reference (default 1) */
  threads?: number;
  /**
   * 'perturbed' (default): BN affine parameters, biases and running statistics randomised after the ordinary
   * initialisation (nn/weights.ts randomizeForCheck). At the ordinary init (BN beta = 0) every BN gamma followed by a
   * ReLU or lambda-act and a conv + BN has a gradient of exactly 0 (the loss is invariant to its scale); float32
   * rounding leaves a 1e-9 residue whose sign AdamW's first step turns into a full +-lr update, differently in every
   * engine (PyTorch float32 against float64 too), so the runs part at the 1e-3 level within a few steps.
   */
  init?: 'perturbed' | 'plain';
  /** the reference in float64 (shows what float32 rounding alone does) */
  referenceDtype?: 'float32' | 'float64';
  /**
   * Also compare each step on its own (default true): our weights, BN statistics and AdamW moments after every
   * step go to steps/<k>.safetensors; the reference restarts each step from ours, so a difference in one step's
   * loss or update shows at that step whatever the runs did before (free-running runs part through float32
   * rounding alone in chaotic settings; see docs/crosscheck.md).
   */
  resync?: boolean;
}

export interface StepComparison {
  step: number;
  epoch: number;
  loss: { ours: number; torch: number; relErr: number };
  /** this step alone, the reference started from our state after the previous step */
  resync?: { loss: number; lossRelErr: number; worstTensor: { name: string; relErr: number }; worstUpdate: { name: string; relErr: number } };
  lr: { ours: number; torch: number };
  lambda: { ours: number; torch: number };
}

export interface TensorComparison {
  name: string;
  relErr: number;
  maxAbsErr: number;
  maxAbs: number;
}

export interface CrosscheckResult {
  model: string;
  toggles: CellToggles;
  steps: number;
  /** largest |loss_ours - loss_torch| / |loss_torch| over all steps */
  maxLossRelErr: number;
  /** first step (1-based) whose loss differs by more than 1e-3 relative, null if none */
  firstStepOver1e3: number | null;
  /** the tensor with the largest max|ours - torch| / max|torch| after the last step */
  worstTensor: { name: string; relErr: number };
  /** the same over the trainable tensors and over the BN running statistics, without the gradient-free ones */
  worstTrainable: { name: string; relErr: number };
  worstRunningStat: { name: string; relErr: number } | null;
  /** biases right before a BN and those BNs' running means (see gradientFreeTensors) */
  gradientFree: string[];
  lrMaxAbsErr: number;
  lambdaMaxAbsErr: number;
  /** per-step (resynchronised) comparison: the largest loss error, the first step over 1e-3, the worst tensor over all steps */
  resync: {
    maxLossRelErr: number;
    firstStepOver1e3: number | null;
    worstTensor: { name: string; relErr: number; step: number };
    /** the largest ||ours - torch|| / ||torch's update|| (L2, per tensor) of one step: how far the updates differ */
    worstUpdate: { name: string; relErr: number; step: number };
  } | null;
  torch: string;
  python: string;
  interpreter: string;
  data: string;
  settings: Record<string, unknown>;
  notes: string[];
  seconds: { ours: number; torch: number };
  perStep: StepComparison[];
  /** every tensor, worst first */
  tensors: TensorComparison[];
  dir: string;
}

function resolveDataset(name: string): string {
  return name !== 'default' ? name : fashionMnistAvailable() ? 'fashion-mnist' : 'synthetic';
}

/** The same data preparation as a training run (subset, channels repeated to 3, padded or resized, normalised). */
async function loadData(spec: CrosscheckSpec['data'], seed: number): Promise<{ train: Dataset; test: Dataset }> {
  const name = resolveDataset(spec.name);
  const raw = await loadDataset(name, { dir: spec.dir, seed, trainSize: spec.trainSize, testSize: 16, imageSize: spec.inputSize });
  const method = raw.train.height < spec.inputSize ? 'pad' : 'resize';
  return prepareSplits(raw, { height: spec.inputSize, width: spec.inputSize, channels: 3, method, normalize: true });
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

function compareTensors(ours: Map<string, LoadedTensor>, theirs: Map<string, LoadedTensor>): TensorComparison[] {
  const out: TensorComparison[] = [];
  for (const [name, a] of ours) {
    const b = theirs.get(name);
    if (!b) throw new UserError(`the reference trainer's final.safetensors has no ${name}; nothing was compared`);
    if (a.data.length !== b.data.length) throw new UserError(`${name} has ${a.data.length} values here, ${b.data.length} in the reference's final.safetensors`);
    let maxAbsErr = 0;
    let maxAbs = 0;
    for (let i = 0; i < a.data.length; i++) {
      maxAbsErr = Math.max(maxAbsErr, Math.abs(a.data[i] - b.data[i]));
      maxAbs = Math.max(maxAbs, Math.abs(b.data[i]));
    }
    out.push({ name, relErr: maxAbsErr / Math.max(maxAbs, 1e-12), maxAbsErr, maxAbs });
  }
  return out.sort((x, y) => y.relErr - x.relErr);
}

/** Our state after a step: weights and BN statistics, and AdamW's step count and moments, in PyTorch names/layouts. */
async function saveStepState(file: string, m: Model, opt: AdamW): Promise<void> {
  const st = opt.state();
  const tensors = await toTorchStateDict(m.desc, m.weights);
  const params = torchParams(m.desc);
  for (const [which, moments] of [
    ['exp_avg', st.m],
    ['exp_avg_sq', st.v],
  ] as const) {
    const w = new Map(m.weights);
    for (const [k, t] of moments) w.set(k, t);
    const d = await toTorchStateDict(m.desc, w);
    for (const p of params) if (moments.has(p.key)) tensors.set(`adam.${which}.${p.torchName}`, d.get(p.torchName)!);
  }
  saveSafetensors(file, tensors, { step: String(st.step) });
}

const isRunningStat = (n: string) => n.endsWith('.running_mean') || n.endsWith('.running_var');

/**
 * Tensors the loss does not depend on in training mode: the bias of a conv or dense layer whose only consumer is a
 * BN (batch statistics remove it; its gradient is 0 up to rounding, which AdamW turns into +-lr steps of either
 * sign) and that BN's running mean, which carries the bias; and a BN's bias (beta) when everything it feeds is a
 * conv or dense layer followed by a BN (VanillaNet's series activation before the next block). They are compared
 * and listed, but kept out of worstTrainable / worstRunningStat and the per-step worst tensor.
 */
export function gradientFreeTensors(desc: ModelDescription): Set<string> {
  const consumers = new Map<string, string[]>();
  for (const n of desc.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.id]);
  const byId = nodeIndex(desc);
  const out = new Set<string>();
  const bnAfter = (id: string) => {
    const c = consumers.get(id) ?? [];
    return c.length === 1 && byId.get(c[0])?.op === 'batchnorm' ? c[0] : undefined;
  };
  // a per-channel constant added at `id` reaches only convs/dense layers that each feed a BN alone (through ops that
  // commute with such a constant: pooling, dropout), so the loss does not depend on it
  const absorbed = (id: string): boolean => {
    const c = consumers.get(id) ?? [];
    return (
      c.length > 0 &&
      c.every((k) => {
        const n = byId.get(k)!;
        if (n.op === 'maxpool' || n.op === 'avgpool' || n.op === 'adaptiveMaxPool' || n.op === 'globalAvgPool' || n.op === 'dropout') return absorbed(k);
        return (n.op === 'conv' || n.op === 'dense') && bnAfter(k) !== undefined;
      })
    );
  };
  for (const n of desc.nodes) {
    if ((n.op === 'conv' || n.op === 'dense') && n.bias) {
      const bn = bnAfter(n.id);
      if (bn) {
        out.add(`${n.id}.bias`);
        out.add(`${bn}.running_mean`);
      }
    }
    if (n.op === 'batchnorm' && absorbed(n.id)) out.add(`${n.id}.bias`);
  }
  return out;
}

type OurStep = { loss: number; lr: number; lambda: number; epoch: number };

/** Our trainer for spec.steps steps (the real loop, stopped by its afterStep hook), recording each step and its batch. */
async function runOurs(
  spec: CrosscheckSpec,
  model: Model,
  ds: Dataset,
  evalSet: Dataset,
  cfg: TrainConfig,
  resync: boolean,
): Promise<{ ours: OurStep[]; batches: StepBatch[]; final: Map<string, LoadedTensor>; oursSeconds: number }> {
  const ours: OurStep[] = [];
  const batches: StepBatch[] = [];
  let final: Map<string, LoadedTensor> | null = null;
  const t0 = performance.now();
  try {
    const r = await train(model, ds, evalSet, cfg, {
      afterStep: async (s, m, opt) => {
        ours.push({ loss: s.loss, lr: s.lr, lambda: s.lambda, epoch: s.epoch });
        batches.push({ epoch: s.epoch, indices: s.indices.slice() });
        if (resync) await saveStepState(path.join(spec.dir, 'steps', `${s.step}.safetensors`), m, opt);
        if (ours.length < spec.steps) return false;
        final = await toTorchStateDict(m.desc, m.weights);
        return true;
      },
    });
    if (r.status !== 'ok' || !final) throw new UserError(`our run stopped before step ${spec.steps}: ${r.message ?? 'no message'}`);
  } finally {
    model.dispose();
  }
  return { ours, batches, final: final as Map<string, LoadedTensor>, oursSeconds: (performance.now() - t0) / 1000 };
}

/** Runs the reference trainer on the exchange folder; its per-step results (checked: ./referenceResult.ts) and final weights. */
async function runTorch(
  dir: string,
  py: TorchPython,
  expect: { nonce: string; steps: number; resync: boolean },
): Promise<{ ref: ReferenceSteps; theirs: Map<string, LoadedTensor>; torchSeconds: number }> {
  const t1 = performance.now();
  const r = await runReferenceScript(py.python, ['steps', dir]);
  if (r.status !== 0) throw referenceFailure(r);
  const torchSeconds = (performance.now() - t1) / 1000;
  const raw = readReferenceResult(dir, expect.nonce);
  const ref = checkStepsResult(raw, path.join(dir, 'torch', 'result.json'), expect.steps, expect.resync);
  return { ref, theirs: loadSafetensors(path.join(dir, 'torch', 'final.safetensors')), torchSeconds };
}

/** Step k of ours against the reference's (free-running), and against its one step from our state (resync). */
function compareSteps(ours: OurStep[], ref: ReferenceSteps, free: Set<string>): StepComparison[] {
  return ours.map((o, k) => {
    const t = ref.steps[k];
    const c: StepComparison = {
      step: k + 1,
      epoch: o.epoch + 1,
      loss: { ours: o.loss, torch: t.loss, relErr: relErr(o.loss, t.loss) },
      lr: { ours: o.lr, torch: t.lr },
      lambda: { ours: o.lambda, torch: t.lambda },
    };
    const rs = ref.resync?.[k];
    if (rs) {
      let w = { name: '', relErr: -1 };
      let u = { name: '', relErr: -1 };
      for (const [name, [abs, max, l2, upd]] of Object.entries(rs.tensors)) {
        if (free.has(name)) continue;
        const e = abs / Math.max(max, 1e-12);
        if (e > w.relErr) w = { name, relErr: e };
        const eu = upd > 0 ? l2 / upd : 0;
        if (eu > u.relErr) u = { name, relErr: eu };
      }
      c.resync = { loss: rs.loss, lossRelErr: relErr(o.loss, rs.loss), worstTensor: w, worstUpdate: u };
    }
    return c;
  });
}

/** Steps per epoch of `n` training images, refusing a run that has no full batch or fewer steps than asked for. */
function checkedStepsPerEpoch(steps: number, n: number, cfg: TrainConfig): number {
  const stepsPerEpoch = numBatches(n, cfg.batchSize, true);
  if (stepsPerEpoch < 1) throw new UserError(`--train-size ${n} gives no full batch of ${cfg.batchSize}`);
  if (steps > stepsPerEpoch * cfg.epochs) {
    throw new UserError(`--steps ${steps} is more than the run has (${cfg.epochs} epochs x ${stepsPerEpoch} steps); raise --epochs or --train-size`);
  }
  return stepsPerEpoch;
}

/** The resynchronised comparison over all steps (null when the reference made none). */
function resyncSummary(perStep: StepComparison[]): CrosscheckResult['resync'] {
  const rsSteps = perStep.filter((s) => s.resync);
  const rsWorst = rsSteps.reduce<{ name: string; relErr: number; step: number } | null>(
    (a, s) => (!a || s.resync!.worstTensor.relErr > a.relErr ? { ...s.resync!.worstTensor, step: s.step } : a),
    null,
  );
  if (!rsWorst) return null;
  const rsOver = rsSteps.find((s) => !(s.resync!.lossRelErr <= 1e-3));
  return {
    maxLossRelErr: Math.max(...rsSteps.map((s) => s.resync!.lossRelErr)),
    firstStepOver1e3: rsOver ? rsOver.step : null,
    worstTensor: rsWorst,
    worstUpdate: rsSteps.reduce<{ name: string; relErr: number; step: number }>(
      (a, s) => (s.resync!.worstUpdate.relErr > a.relErr ? { ...s.resync!.worstUpdate, step: s.step } : a),
      { name: '', relErr: -1, step: 0 },
    ),
  };
}

export async function crosscheck(spec: CrosscheckSpec, py: TorchPython, log: (s: string) => void = () => {}): Promise<CrosscheckResult> {
  const splits = await loadData(spec.data, spec.seed);
  const ds = splits.train;
  const options = modelOptions(spec.model, {
    ...spec.modelOptions,
    inputSize: spec.data.inputSize,
    numClasses: ds.numClasses,
    inputChannels: ds.channels,
    dropRate: 0,
  });
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...spec.train, seed: spec.seed, mergeAfterDecay: false };
  const stepsPerEpoch = checkedStepsPerEpoch(spec.steps, ds.n, cfg);
  mkdirSync(spec.dir, { recursive: true });
  const resync = spec.resync ?? true;
  if (resync) mkdirSync(path.join(spec.dir, 'steps'), { recursive: true });

  // our run
  const model = Model.create(spec.model, options, 'train', spec.seed);
  if ((spec.init ?? 'perturbed') === 'perturbed') randomizeForCheck(model.desc, model.weights, spec.seed + 1);
  saveSafetensors(path.join(spec.dir, 'init.safetensors'), await toTorchStateDict(model.desc, model.weights), { format: String(EXCHANGE_FORMAT) });
  const { ours, batches, final, oursSeconds } = await runOurs(spec, model, ds, splits.test, cfg, resync);
  log(`ours: ${spec.steps} steps in ${oursSeconds.toFixed(1)} s`);

  // the exchange folder; the reference echoes the nonce, so only its own result can be compared
  const nonce = newNonce();
  const settings = {
    format: EXCHANGE_FORMAT,
    model: { name: spec.model, family: model.desc.family, options },
    train: referenceTrainSettings(cfg),
    run: {
      steps: spec.steps,
      stepsPerEpoch,
      seed: spec.seed,
      threads: spec.threads ?? 1,
      dtype: spec.referenceDtype ?? 'float32',
      init: spec.init ?? 'perturbed',
      resync,
      nonce,
    },
    data: { name: ds.name, n: ds.n, height: ds.height, width: ds.width, channels: ds.channels, numClasses: ds.numClasses },
  };
  writeJson(path.join(spec.dir, 'settings.json'), settings);
  writeData(path.join(spec.dir, 'data.safetensors'), ds, streamFor(ds, batches, spec.seed, cfg.augment));

  // the reference
  const { ref, theirs, torchSeconds } = await runTorch(spec.dir, py, { nonce, steps: spec.steps, resync });
  log(`torch ${py.torch}: ${spec.steps} steps in ${torchSeconds.toFixed(1)} s`);

  // the comparison
  const free = gradientFreeTensors(model.desc);
  const perStep = compareSteps(ours, ref, free);
  const tensors = compareTensors(final, theirs);
  const worst = (list: TensorComparison[]) => (list[0] ? { name: list[0].name, relErr: list[0].relErr } : null);
  const over = perStep.find((s) => !(s.loss.relErr <= 1e-3));
  return {
    model: spec.model,
    toggles: cellToggles(options),
    steps: spec.steps,
    maxLossRelErr: Math.max(...perStep.map((s) => (Number.isFinite(s.loss.relErr) ? s.loss.relErr : Infinity))),
    firstStepOver1e3: over ? over.step : null,
    worstTensor: worst(tensors)!,
    worstTrainable: worst(tensors.filter((t) => !isRunningStat(t.name) && !free.has(t.name)))!,
    worstRunningStat: worst(tensors.filter((t) => isRunningStat(t.name) && !free.has(t.name))),
    gradientFree: [...free],
    lrMaxAbsErr: Math.max(...perStep.map((s) => Math.abs(s.lr.ours - s.lr.torch))),
    lambdaMaxAbsErr: Math.max(...perStep.map((s) => Math.abs(s.lambda.ours - s.lambda.torch))),
    resync: resyncSummary(perStep),
    torch: py.torch,
    python: py.pythonVersion,
    interpreter: py.python,
    data: `${ds.name} (${ds.n} train, ${ds.height}x${ds.width}x${ds.channels})`,
    settings,
    notes: ['dropout off (rate 0): its masks are not exported'],
    seconds: { ours: oursSeconds, torch: torchSeconds },
    perStep,
    tensors,
    dir: spec.dir,
  };
}
