/**
 * A queue job is untrusted input: anyone who can reach the Redis server can push one. Before a worker trains it or
 * writes anything, its names and ids must be what a matrix makes (they become folder names under --runs-dir), its
 * cell must be a cell, and its run specification must pass the same validation as an experiment file (models,
 * options, dataset, trainer settings and their bounds). Nothing a job says can make a worker write outside its
 * --runs-dir.
 */
import path from 'node:path';
import { validateExperiment } from '../ablation/experiment.js';
import { runKey, type RunDescription } from '../ablation/matrix.js';
import { cellProblem } from '../ablation/recordCheck.js';
import { isOutside } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';
import type { RunJobData } from './protocol.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const PRESET = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
/** runIds are hashes (src/ablation/matrix.ts hashId): 16 hex digits */
const RUN_ID = /^[0-9a-f]{16}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** The run's specification as an experiment of one model, one seed: validated as an experiment file is. */
function specProblem(run: RunDescription): string | null {
  const s = run.spec as unknown;
  if (!isObj(s) || !isObj(s.modelOptions) || !isObj(s.data) || !isObj(s.train)) return 'its spec is not { model, modelOptions, data, train, seed }';
  if (s.seed !== run.seed) return `its spec's seed ${show(s.seed)} is not the run's ${run.seed}`;
  try {
    validateExperiment(
      {
        name: run.experiment,
        description: 'a queue job',
        dataset: s.data,
        models: [{ ...s.modelOptions, model: s.model }],
        seeds: [run.seed],
        train: s.train,
        presets: { quick: {}, full: {} },
      },
      'the job',
    );
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  return null;
}

/** Why a job of this version cannot be run as it stands (null: it can); says which field and what it holds. */
export function jobProblem(data: RunJobData): string | null {
  const run = data.run as unknown;
  if (!isObj(run)) return 'its run is not an object';
  const r = run as unknown as RunDescription;
  if (typeof r.experiment !== 'string' || !NAME.test(r.experiment))
    return `its experiment name ${show(r.experiment)} is not a name (letters, digits, '.', '_', '-')`;
  if (typeof r.preset !== 'string' || !PRESET.test(r.preset)) return `its preset ${show(r.preset)} is not a preset name`;
  if (r.experiment !== data.experiment || r.preset !== data.preset) return "its run names another experiment or preset than the job's";
  if (typeof r.runId !== 'string' || !RUN_ID.test(r.runId)) return `its runId ${show(r.runId)} is not a run id (16 hex digits)`;
  if (r.engine !== undefined) return `its engine ${show(r.engine)}: the queue runs the tfjs trainer only`;
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 2 ** 31 - 1) return `its seed ${show(r.seed)} is not a seed`;
  return cellProblem(r.cell) ?? specProblem(r);
}

/** The run's folder under `runsDir`, checked to be inside it (null without --runs-dir). */
export function jobRunFolder(runsDir: string | undefined, run: RunDescription): string | null {
  if (!runsDir) return null;
  const root = path.resolve(runsDir);
  const out = path.resolve(root, run.experiment, runKey(run));
  if (isOutside(out, root)) throw new UserError(`the job's run folder ${out} is not inside --runs-dir ${root}`);
  return out;
}
