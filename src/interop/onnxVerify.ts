/**
 * Checks an exported ONNX model against our tfjs forward pass: the same random input (NHWC for tfjs, transposed to
 * NCHW for ONNX Runtime), relative error max|onnx - tfjs| / max|tfjs| over every logit.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDescription } from '../models/graph.js';
import { forward } from '../nn/forward.js';
import type { Weights } from '../nn/weights.js';
import type { OnnxExport } from './onnxExport.js';
import { createOrtSession, loadOrt, maxRelError, ortVersion, runOrt } from './ort.js';
import { tfSeed } from '../util/seed.js';

export interface OnnxVerification {
  runtime: 'onnxruntime';
  ortVersion: string;
  batch: number;
  seed: number;
  outputsCompared: number;
  /** max|onnx - tfjs| / max|tfjs| */
  maxRelErr: number;
  maxAbsErr: number;
  /** the tolerance the check is judged against */
  tolerance: number;
  passed: boolean;
}

export const ONNX_TOLERANCE = 1e-4;

export async function verifyOnnx(
  exp: OnnxExport,
  desc: ModelDescription,
  w: Weights,
  o: { batch?: number; seed?: number; threads?: number; tolerance?: number } = {},
): Promise<OnnxVerification> {
  const batch = o.batch ?? 2;
  const seed = o.seed ?? 7;
  const [h, wd, c] = desc.inputShape;
  const { nhwcOut, nchw } = tf.tidy(() => {
    const x = tf.randomNormal([batch, h, wd, c], 0, 1, 'float32', tfSeed(seed)) as tf.Tensor4D;
    const y = forward(desc, w, x, { training: false, lambda: 1 });
    return { nhwcOut: y.dataSync() as Float32Array, nchw: tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array };
  });
  const ort = await loadOrt();
  const session = await createOrtSession(ort, exp.bytes, { threads: o.threads });
  try {
    const got = await runOrt(ort, session, nchw, [batch, c, h, wd]);
    if (got.dims.join() !== [batch, desc.numClasses].join()) {
      throw new Error(`internal: ONNX output is [${got.dims.join(', ')}], expected [${batch}, ${desc.numClasses}]`);
    }
    let maxAbsErr = 0;
    for (let i = 0; i < got.data.length; i++) maxAbsErr = Math.max(maxAbsErr, Math.abs(got.data[i] - nhwcOut[i]));
    const maxRelErr = maxRelError(got.data, nhwcOut);
    const tolerance = o.tolerance ?? ONNX_TOLERANCE;
    return {
      runtime: 'onnxruntime',
      ortVersion: ortVersion(ort),
      batch,
      seed,
      outputsCompared: got.data.length,
      maxRelErr,
      maxAbsErr,
      tolerance,
      passed: maxRelErr <= tolerance,
    };
  } finally {
    await session.release();
  }
}
