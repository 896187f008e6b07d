/**
 * A TF.js model folder read as untrusted input: model.json bounded and parsed, every weightsManifest path resolved
 * inside the folder (no absolute paths, no `..`, no links leading out), read from regular files only, and the
 * weight files together exactly as long as the weight specs need. Anything else is one UserError naming the folder.
 */
import type * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile, resolveInside } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';

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
