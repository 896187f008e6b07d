/**
 * Which zoo model a TF.js model directory holds, and its deploy description + weights rebuilt from it.
 *
 * Our directories say what they are: `import` writes vanillabench.json ({ model, options }), `export` writes
 * model.json's userDefinedMetadata { model, options }, `train` writes userDefinedMetadata { spec: { model,
 * modelOptions } }. Input size, channels and classes are taken from the saved model's own shapes, so a partial
 * record (train's spec) still rebuilds exactly; every weight is then checked against the description's shapes.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDescription } from '../models/graph.js';
import type { ModelOptions } from '../models/options.js';
import { describeModel, modelOptions } from '../models/zoo.js';
import { UserError } from '../util/errors.js';
import { readRegularFile } from '../util/boundedRead.js';
import { loadLayersModelDir } from './export.js';
import { modelFolderHint } from './modelFolder.js';
import { weightSpecs, type Weights } from './weights.js';

export interface ModelDirRecord {
  model: string;
  /** the recorded options (possibly partial) */
  options: Record<string, unknown>;
  /** where the record was found */
  source: 'vanillabench.json' | 'model.json userDefinedMetadata' | 'model.json userDefinedMetadata.spec';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** model.json and vanillabench.json are small; a larger one (or a device) is not read. */
const MAX_JSON = 64 * 2 ** 20;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readRegularFile(file, { maxBytes: MAX_JSON }).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The model name and options a directory records, or null when it records none. */
export function readModelDirRecord(dir: string): ModelDirRecord | null {
  const meta = existsSync(join(dir, 'vanillabench.json')) ? readJson(join(dir, 'vanillabench.json')) : undefined;
  if (isObject(meta) && typeof meta.model === 'string') {
    return { model: meta.model, options: isObject(meta.options) ? meta.options : {}, source: 'vanillabench.json' };
  }
  const mj = readJson(join(dir, 'model.json'));
  const udm = isObject(mj) && isObject(mj.userDefinedMetadata) ? mj.userDefinedMetadata : null;
  if (udm && typeof udm.model === 'string') {
    return { model: udm.model, options: isObject(udm.options) ? udm.options : {}, source: 'model.json userDefinedMetadata' };
  }
  if (udm && isObject(udm.spec) && typeof udm.spec.model === 'string') {
    return { model: udm.spec.model, options: isObject(udm.spec.modelOptions) ? udm.spec.modelOptions : {}, source: 'model.json userDefinedMetadata.spec' };
  }
  return null;
}

export interface LoadedModelDir {
  model: string;
  options: ModelOptions;
  desc: ModelDescription;
  weights: Weights;
  record: ModelDirRecord;
}

/** Our layer names: node ids with every character outside [A-Za-z0-9_] replaced (as toLayersModel names them). */
const layerName = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Loads a model directory as our deploy description + weights (tfjs layouts). The caller disposes the weights.
 * UserError when the directory is unreadable, does not say which model it holds, or does not match it.
 */
export async function loadModelDir(dir: string): Promise<LoadedModelDir> {
  if (!existsSync(join(dir, 'model.json'))) throw new UserError(`${dir} is not a TF.js model directory (no model.json)${modelFolderHint(dir)}`);
  const record = readModelDirRecord(dir);
  if (!record) {
    throw new UserError(
      `${dir} does not record which zoo model it holds (no vanillabench.json and no model/options in model.json's userDefinedMetadata); ` +
        'directories written by `vanillabench export`, `import` or `train` do; otherwise export the model by name',
    );
  }
  const layers = await loadLayersModelDir(dir);
  try {
    const inShape = layers.inputs[0].shape;
    const outShape = layers.outputs[0].shape;
    const [h, w, c] = inShape.slice(1) as number[];
    if (inShape.length !== 4 || h !== w || outShape.length !== 2) {
      throw new UserError(
        `${dir}: the saved model takes [${inShape.slice(1).join(', ')}] and returns [${outShape.slice(1).join(', ')}]; expected a square image and a logit vector`,
      );
    }
    const { inputSize: _i, inputChannels: _c, numClasses: _n, ...rest } = record.options;
    const options = modelOptions(record.model, { ...rest, inputSize: h, inputChannels: c, numClasses: outShape[1] as number });
    const desc = describeModel(record.model, options, 'deploy');
    const weights: Weights = new Map();
    const problems: string[] = [];
    try {
      const byLayer = new Map<string, tf.Tensor[]>();
      for (const s of weightSpecs(desc)) {
        const name = layerName(s.node.id);
        if (!byLayer.has(name)) {
          let got: tf.Tensor[] = [];
          try {
            got = layers.getLayer(name).getWeights();
          } catch {
            problems.push(`layer ${name} is missing`);
          }
          byLayer.set(name, got);
        }
        const got = byLayer.get(name)!;
        // conv/dense/depthwise layers hold [kernel, bias]
        const t = got[s.param === 'kernel' ? 0 : 1];
        if (!t) continue; // reported above, or an absent bias
        if (t.shape.join() !== s.shape.join()) {
          problems.push(`${name} ${s.param} is [${t.shape.join(', ')}], ${record.model} needs [${s.shape.join(', ')}]`);
          continue;
        }
        weights.set(s.key, t.clone());
      }
      const missing = weightSpecs(desc).filter((s) => !weights.has(s.key) && !problems.some((p) => p.startsWith(`layer ${layerName(s.node.id)} `)));
      for (const s of missing) problems.push(`${layerName(s.node.id)} has no ${s.param}`);
      if (problems.length > 0) {
        throw new UserError(
          `${dir} does not hold the ${record.model} it records (${record.source}): ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`,
        );
      }
    } catch (e) {
      for (const t of weights.values()) t.dispose();
      throw e;
    }
    return { model: record.model, options, desc, weights, record };
  } finally {
    layers.dispose();
  }
}
