/**
 * A TF.js model folder (model.json + weight files), read as untrusted input, and what it holds.
 *
 * Reading: model.json bounded and parsed, every weightsManifest path resolved inside the folder (no absolute paths,
 * no `..`, no links leading out), read from regular files only, and the weight files together exactly as long as
 * the weight specs need. Anything else is one UserError naming the folder.
 *
 * What it holds: our folders say which zoo model they are: `import` writes vanillabench.json ({ model, options }),
 * `export` writes model.json's userDefinedMetadata { model, options }, `train` writes userDefinedMetadata { spec: {
 * model, modelOptions } }. Input size, channels and classes are taken from the saved model's own shapes, so a
 * partial record (train's spec) still rebuilds exactly; every weight is then checked against the description's shapes.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDescription } from '../models/graph.js';
import type { ModelOptions } from '../models/options.js';
import { describeModel, modelOptions } from '../models/zoo.js';
import { readRegularFile, resolveInside } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';
import { registerCustomLayers } from './export.js';
import { weightSpecs, type Weights } from './weights.js';

/** model.json holds the topology and manifest only; anything larger is not a model.json. */
const MAX_MODEL_JSON = 64 * 2 ** 20;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Bytes one weight spec takes in the weights data; UserError for a malformed spec. */
function specBytes(dir: string, s: unknown): number {
  const bad = (what: string) => new UserError(`${dir}: model.json's weightsManifest has a bad weight entry (${what})`);
  if (!isObject(s) || typeof s.name !== 'string') throw bad('no name');
  const shape = s.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`'${s.name}' has no valid shape`);
  const count = shape.reduce((a: number, d: number) => a * d, 1);
  if (!Number.isSafeInteger(count)) throw bad(`'${s.name}' is too large`);
  const q = s.quantization;
  const each = isObject(q) ? QUANT_BYTES[String(q.dtype)] : DTYPE_BYTES[String(s.dtype)];
  if (each === undefined) throw bad(`'${s.name}' has an unsupported dtype ${JSON.stringify(isObject(q) ? q.dtype : s.dtype)}`);
  if (s.dtype === 'string') throw bad(`'${s.name}' is a string tensor`);
  return count * each;
}

export interface ModelFolderArtifacts {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/**
 * Where a folder without model.json keeps its model, said for the error: `train --out DIR` writes the model to DIR/deploy,
 * and DIR is the folder its last line names, so users pass DIR.
 */
export function modelFolderHint(dir: string): string {
  const deploy = join(dir, 'deploy');
  return !existsSync(join(dir, 'model.json')) && existsSync(join(deploy, 'model.json'))
    ? `; ${dir} is a train run folder: its model is ${deploy} (give that folder)`
    : '';
}

/** Reads model.json and its weight files from `dir` (see the module comment). */
export function readModelFolder(dir: string): ModelFolderArtifacts {
  const jsonFile = join(dir, 'model.json');
  let json: unknown;
  try {
    json = JSON.parse(readRegularFile(jsonFile, { what: 'model.json', maxBytes: MAX_MODEL_JSON }).toString('utf8'));
  } catch (e) {
    throw new UserError(`cannot read a TF.js model from ${dir}: ${(e as Error).message}${modelFolderHint(dir)}`);
  }
  if (!isObject(json)) throw new UserError(`${dir}: model.json is not a JSON object`);
  const { modelTopology, weightsManifest } = json;
  if (!isObject(modelTopology)) throw new UserError(`${dir}: model.json has no modelTopology object`);
  if (!Array.isArray(weightsManifest) || !weightsManifest.every((g) => isObject(g) && Array.isArray(g.paths) && Array.isArray(g.weights))) {
    throw new UserError(`${dir}: model.json has no valid weightsManifest (a list of { paths, weights })`);
  }
  checkTopology(dir, modelTopology);
  const groups = weightsManifest as { paths: unknown[]; weights: unknown[] }[];
  const specs = groups.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  const parts: Buffer[] = [];
  for (const g of groups) {
    // tfjs concatenates each group's shards, then reads the group's weights from it in order
    const need = g.weights.reduce((a: number, s) => a + specBytes(dir, s), 0);
    let have = 0;
    const names: string[] = [];
    for (const p of g.paths) {
      const file = resolveInside(dir, p as string, 'weights file');
      names.push(String(p));
      const buf = readRegularFile(file, { what: `weights file '${String(p)}'`, maxBytes: Math.max(0, need - have) });
      have += buf.length;
      parts.push(buf);
    }
    if (have !== need) {
      throw new UserError(
        `${dir}: the weights files ${names.join(', ') || '(none)'} hold ${have} bytes; model.json's weight specs need exactly ${need} (truncated or not this model's weights)`,
      );
    }
  }
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelTopology, weightSpecs: specs, weightData };
}

/**
 * tfjs builds a functional model by repeatedly taking the layers whose inputs exist; a reference to a layer (or a
 * call of it) that does not exist, or a cycle, makes it loop for ever. Checked here the same way, with an end.
 */
function checkTopology(dir: string, topology: Record<string, unknown>): void {
  const bad = (what: string) => new UserError(`${dir}: model.json's modelTopology ${what}`);
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const config = isObject(model.config) ? model.config : null;
  if (!config || !Array.isArray(config.layers)) return; // not a functional model: tfjs itself says what is wrong
  const layers = config.layers as unknown[];
  const calls = new Map<string, number>();
  const inputsOf = new Map<string, [string, number][]>();
  for (const [i, l] of layers.entries()) {
    if (!isObject(l) || typeof l.name !== 'string') throw bad(`layer #${i} has no name`);
    if (calls.has(l.name)) throw bad(`names two layers '${l.name}'`);
    const nodes = l.inbound_nodes === undefined ? [] : l.inbound_nodes;
    if (!Array.isArray(nodes)) throw bad(`layer '${l.name}' has malformed inbound_nodes`);
    const refs: [string, number][] = [];
    for (const node of nodes) {
      if (!Array.isArray(node)) throw bad(`layer '${l.name}' has malformed inbound_nodes`);
      for (const ref of node) {
        if (!Array.isArray(ref) || typeof ref[0] !== 'string' || !Number.isSafeInteger(ref[1]) || ref[1] < 0 || !Number.isSafeInteger(ref[2]) || ref[2] < 0) {
          throw bad(`layer '${l.name}' has a malformed inbound reference`);
        }
        refs.push([ref[0], ref[1]]);
      }
    }
    calls.set(l.name, Math.max(nodes.length, l.class_name === 'InputLayer' ? 1 : 0));
    inputsOf.set(l.name, refs);
  }
  for (const [name, refs] of inputsOf) {
    for (const [from, node] of refs) {
      if (!calls.has(from)) throw bad(`layer '${name}' takes its input from '${from}', which is not a layer of the model`);
      if (node >= calls.get(from)!) throw bad(`layer '${name}' takes call #${node} of '${from}', which is called ${calls.get(from)} time(s)`);
    }
  }
  for (const key of ['input_layers', 'output_layers']) {
    const list = config[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((r) => Array.isArray(r) && typeof r[0] === 'string' && calls.has(r[0])))
      throw bad(`${key} names a layer that does not exist`);
  }
  // every layer reachable in dependency order (no cycles)
  const done = new Set<string>();
  for (let progress = true; progress && done.size < inputsOf.size;) {
    progress = false;
    for (const [name, refs] of inputsOf) {
      if (!done.has(name) && refs.every(([from]) => done.has(from))) {
        done.add(name);
        progress = true;
      }
    }
  }
  if (done.size < inputsOf.size)
    throw bad(
      `has a cycle (through ${[...inputsOf.keys()]
        .filter((n) => !done.has(n))
        .slice(0, 3)
        .join(', ')})`,
    );
}

/** Loads a model directory written by saveLayersModel (or any tfjs layers-model directory with one weights file). */
export async function loadLayersModelFolder(dir: string): Promise<tf.LayersModel> {
  registerCustomLayers();
  const { modelTopology, weightSpecs: specs, weightData } = readModelFolder(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs: specs, weightData }));
  } catch (e) {
    throw new UserError(`${dir}: model.json does not describe a TF.js layers model this suite can load (${(e as Error).message})`);
  }
}

export interface ModelFolderRecord {
  model: string;
  /** the recorded options (possibly partial) */
  options: Record<string, unknown>;
  /** where the record was found */
  source: 'vanillabench.json' | 'model.json userDefinedMetadata' | 'model.json userDefinedMetadata.spec';
}

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
export function readModelFolderRecord(dir: string): ModelFolderRecord | null {
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

export interface LoadedModelFolder {
  model: string;
  options: ModelOptions;
  desc: ModelDescription;
  weights: Weights;
  record: ModelFolderRecord;
}

/** Our layer names: node ids with every character outside [A-Za-z0-9_] replaced (as toLayersModel names them). */
const layerName = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Loads a model directory as our deploy description + weights (tfjs layouts). The caller disposes the weights.
 * UserError when the directory is unreadable, does not say which model it holds, or does not match it.
 */
export async function loadModelFolder(dir: string): Promise<LoadedModelFolder> {
  if (!existsSync(join(dir, 'model.json'))) throw new UserError(`${dir} is not a TF.js model directory (no model.json)${modelFolderHint(dir)}`);
  const record = readModelFolderRecord(dir);
  if (!record) {
    throw new UserError(
      `${dir} does not record which zoo model it holds (no vanillabench.json and no model/options in model.json's userDefinedMetadata); ` +
        'directories written by `vanillabench export`, `import` or `train` do; otherwise export the model by name',
    );
  }
  const layers = await loadLayersModelFolder(dir);
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
