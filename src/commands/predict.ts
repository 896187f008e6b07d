/**
 * `vanillabench predict <model-dir> (--image file | --input-npy file.npy)`: runs a TF.js model directory (from
 * `import`, `export` or `train`). A .npy input is an NCHW float32 batch (PyTorch's layout) and the raw logits are
 * printed per input; an image is preprocessed as the model records (src/data/preprocessing.ts: a trained model its
 * dataset's pipeline, an imported one the ImageNet evaluation transform) and the top-5 classes printed, by name
 * where the model records its class names.
 */
import * as tf from '@tensorflow/tfjs';
import { basename, resolve } from 'node:path';
import { readModelFolderRecord } from '../nn/modelFolder.js';
import { loadLayersModelFolder } from '../nn/modelFolder.js';
import { readNpy } from '../interop/index.js';
import { describePreprocessing, IMAGENET_PREPROCESSING, preprocessImage, readRecordedIO } from '../data/preprocessing.js';
import { BACKENDS, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { UserError } from '../util/errors.js';
import { log, printJson } from '../util/output.js';

export const summary = 'run a TF.js model directory on an image (top-5 classes) or an NCHW .npy batch (raw logits)';

const TOP_K = 5;

const SPEC = {
  command: 'predict',
  summary,
  positionals: '<model-dir>',
  minPositionals: 1,
  maxPositionals: 1,
  flags: {
    image: {
      type: 'string',
      description: "an image (jpg/png), preprocessed as the model records (train: its dataset's; import: ImageNet evaluation): prints the top-5 classes",
      valueName: 'file',
    },
    inputNpy: { type: 'string', description: 'a float32 NCHW batch [N, C, H, W] (or one [C, H, W]): prints the logits', valueName: 'file' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
  },
} as const satisfies CommandSpec;

export interface TopK {
  index: number;
  prob: number;
  /** the class name, where the model records them */
  name?: string;
}

/** The model's name: what the directory records (vanillabench.json, model.json's userDefinedMetadata), else its name. */
export function modelName(dir: string): string {
  return readModelFolderRecord(dir)?.model ?? basename(resolve(dir));
}

/** NCHW (or CHW) float32 -> NHWC, checked against the model's [h, w, c]. */
export function nchwToNhwc(shape: readonly number[], data: Float32Array, want: readonly number[], label: string): tf.Tensor4D {
  const s = shape.length === 3 ? [1, ...shape] : [...shape];
  const [h, w, c] = want;
  if (s.length !== 4 || s[1] !== c || s[2] !== h || s[3] !== w || s[0] < 1) {
    throw new UserError(`${label} is [${shape.join(', ')}]; the model takes NCHW batches [N, ${c}, ${h}, ${w}] (or one [${c}, ${h}, ${w}])`);
  }
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, s as [number, number, number, number]), [0, 2, 3, 1]));
}

/** The k largest softmax probabilities of one logit row, best first. */
export function topK(logits: readonly number[], k = TOP_K): TopK[] {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e
    .map((v, index) => ({ index, prob: v / z }))
    .sort((a, b) => b.prob - a.prob || a.index - b.index)
    .slice(0, k);
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const [dir] = f.positionals;
  if ((f.image === undefined) === (f.inputNpy === undefined)) {
    throw new UserError('give exactly one input: --image <file> or --input-npy <file.npy>');
  }
  const backend = await selectBackend(f.backend, { log });
  const model = await loadLayersModelFolder(dir);
  const name = modelName(dir);
  try {
    const inShape = model.inputs[0].shape.slice(1);
    if (inShape.length !== 3 || inShape.some((d) => d === null)) {
      throw new UserError(`${dir}: the model's input [${inShape.join(', ')}] is not a fixed-size image (h, w, c)`);
    }
    const [h, w, c] = inShape as number[];
    const io = readRecordedIO(dir, model.outputs[0].shape[1] ?? 0);
    const pre = io.preprocessing ?? IMAGENET_PREPROCESSING;
    let x: tf.Tensor4D;
    if (f.inputNpy !== undefined) {
      const a = readNpy(f.inputNpy);
      x = nchwToNhwc(a.shape, a.data, [h, w, c], f.inputNpy);
    } else {
      if (h !== w || c !== 3) throw new UserError(`--image needs a model with a square RGB input; ${dir} takes [${h}, ${w}, ${c}]`);
      x = tf.tensor4d(await preprocessImage(f.image!, pre, h), [1, h, w, c]);
    }
    const y = tf.tidy(() => model.predict(x) as tf.Tensor);
    x.dispose();
    const outputs = (await y.array()) as number[][];
    y.dispose();
    if (f.inputNpy !== undefined) {
      if (f.json) printJson({ model: name, backend: backend.name, outputs });
      else outputs.forEach((row, i) => console.log(`input ${i}: ${row.map((v) => v.toPrecision(6)).join(' ')}`));
    } else {
      const top5 = topK(outputs[0]).map((t) => (io.classNames ? { ...t, name: io.classNames[t.index] } : t));
      const how = `${describePreprocessing(pre)}${io.preprocessing ? '' : ' (the model records none)'}`;
      if (f.json) printJson({ model: name, backend: backend.name, preprocessing: pre, top5 });
      else {
        console.log(`${f.image} (${name}; preprocessing: ${how}):`);
        for (const t of top5) console.log(`  class ${String(t.index).padStart(4)}${t.name !== undefined ? ` ${t.name}` : ''}  ${(t.prob * 100).toFixed(2)}%`);
      }
    }
  } finally {
    model.dispose();
  }
}
