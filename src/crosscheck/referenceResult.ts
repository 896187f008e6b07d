/**
 * The reference trainer's torch/result.json, read with a bound and checked before anything uses it: it must carry
 * the nonce this run wrote into settings.json (so an old result left in the folder, or a `--python` that did
 * nothing, can never pass for a comparison), and hold what the mode promises: one entry per step with finite
 * numbers (`steps`), or a known status with every epoch's metrics (`run`). Anything else is one error naming the
 * file and the field.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EpochMetrics } from '../train/trainer.js';
import { readJsonFile } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';

/** A fresh nonce for one reference run (settings.run.nonce; the script echoes it in result.json). */
export const newNonce = (): string => randomBytes(12).toString('hex');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** One crosscheck step of the reference: its loss, learning rate and lambda; with resync, the step from our state. */
export interface ReferenceSteps {
  steps: { loss: number; lr: number; lambda: number }[];
  resync?: { loss: number; tensors: Record<string, [number, number, number, number]> }[];
}

/** A whole reference run (scripts/torch_train.py run_training). */
export interface ReferenceRunResult {
  status: 'ok' | 'diverged';
  message?: string;
  epochs: EpochMetrics[];
  trainTop1?: number;
  valTop1?: number;
  deployValTop1?: number | null;
  testTop1?: number | null;
  deployTestTop1?: number | null;
  imagesPerSec: number;
  wallSeconds: number;
  /** VanillaNet: max |logit difference| of the merged deploy form against the trained form at lambda 1, relative */
  deployMaxLogitDiff?: number;
}

/** torch/result.json of the exchange folder `dir`, parsed, with this run's nonce; else a UserError saying why. */
export function readReferenceResult(dir: string, nonce: string): Obj {
  const file = path.join(dir, 'torch', 'result.json');
  if (!existsSync(file)) throw new UserError(`the reference trainer exited without writing ${file}: it did not run (is --python a real Python with PyTorch?)`);
  const r = readJsonFile(file, 'reference result', 64 * 2 ** 20);
  if (!isObj(r)) throw new UserError(`${file} is not a JSON object`);
  if (r.nonce !== nonce) {
    throw new UserError(
      `${file} does not carry this run's nonce (it has ${show(r.nonce)}): it was not written by this run of the reference trainer; nothing was compared`,
    );
  }
  return r;
}

/** The crosscheck result: exactly `steps` steps of finite numbers, and as many resync steps when asked for. */
export function checkStepsResult(r: Obj, file: string, steps: number, resync: boolean): ReferenceSteps {
  const bad = (why: string): never => {
    throw new UserError(`${file}: ${why}; nothing was compared`);
  };
  if (!Array.isArray(r.steps)) bad(`steps is ${show(r.steps)}, not a list`);
  const list = r.steps as unknown[];
  if (list.length !== steps) bad(`the reference ran ${list.length} steps, this crosscheck ${steps}`);
  list.forEach((s, k) => {
    if (!isObj(s) || !isNum(s.lr) || !isNum(s.lambda) || typeof s.loss !== 'number') bad(`step ${k + 1} is ${show(s)}, not { loss, lr, lambda } numbers`);
  });
  if (resync) {
    if (!Array.isArray(r.resync) || r.resync.length !== steps)
      bad(`resync has ${Array.isArray(r.resync) ? r.resync.length : 'no'} steps, this crosscheck ${steps}`);
    (r.resync as unknown[]).forEach((s, k) => {
      const tensors = isObj(s) ? s.tensors : undefined;
      if (!isObj(s) || typeof s.loss !== 'number' || !isObj(tensors)) bad(`resync step ${k + 1} is not { loss, tensors }`);
      for (const [name, v] of Object.entries(tensors as Obj)) {
        if (!Array.isArray(v) || v.length !== 4 || !v.every(isNum)) bad(`resync step ${k + 1}: tensor ${name} is ${show(v)}, not 4 numbers`);
      }
    });
  }
  return r as unknown as ReferenceSteps;
}

const EPOCH_FIELDS = ['epoch', 'lambda', 'lr', 'trainLoss', 'trainTop1', 'valLoss', 'valTop1', 'imagesPerSec', 'seconds'] as const;

/**
 * A whole run's result: a known status, every epoch's metrics, finite figures; an ok run has all `epochs` epochs.
 * Throws an Error naming the problem (the run is then recorded as failed with it).
 */
export function checkRunResult(r: Obj, file: string, epochs: number): ReferenceRunResult {
  const bad = (why: string): never => {
    throw new Error(`the reference trainer's result ${file} ${why}`);
  };
  if (r.status !== 'ok' && r.status !== 'diverged') bad(`has status ${show(r.status)}, not ok or diverged`);
  if (r.message !== undefined && typeof r.message !== 'string') bad(`has message ${show(r.message)}`);
  if (!Array.isArray(r.epochs)) bad(`has epochs ${show(r.epochs)}, not a list`);
  (r.epochs as unknown[]).forEach((e, i) => {
    if (!isObj(e)) bad(`has epoch ${i + 1} ${show(e)}`);
    for (const k of EPOCH_FIELDS) if (!isNum((e as Obj)[k])) bad(`has epoch ${i + 1} with ${k} ${show((e as Obj)[k])}, not a number`);
  });
  if (!isNum(r.wallSeconds) || !isNum(r.imagesPerSec)) bad('lacks wallSeconds or imagesPerSec');
  if (r.status === 'ok') {
    if ((r.epochs as unknown[]).length !== epochs) bad(`is ok after ${(r.epochs as unknown[]).length} epochs, the run has ${epochs}`);
    if (!isNum(r.valTop1) || !isNum(r.trainTop1)) bad('is ok but lacks valTop1 or trainTop1');
    for (const k of ['deployValTop1', 'testTop1', 'deployTestTop1', 'deployMaxLogitDiff']) {
      if (r[k] !== undefined && r[k] !== null && !isNum(r[k])) bad(`has ${k} ${show(r[k])}, not a number`);
    }
  }
  return r as unknown as ReferenceRunResult;
}
