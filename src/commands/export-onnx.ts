/**
 * `vanillabench export-onnx <model-dir|model-name> <file.onnx>`: the deploy form as an ONNX model (opset 13,
 * NCHW float32 `input` -> `logits`), from a model directory (its recorded model and its weights) or a zoo name
 * (fresh weights, merged like `export`). Unless --no-verify, the file is run in ONNX Runtime on a random batch and
 * compared with our tfjs forward pass (relative error max|onnx - tfjs| / max|tfjs| <= 1e-4).
 */
import { existsSync, statSync } from 'node:fs';
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { MODEL_NAMES, modelOptions } from '../models/zoo.js';
import type { ModelDescription } from '../models/graph.js';
import { Model } from '../nn/model.js';
import { loadModelFolder } from '../nn/modelFolder.js';
import { disposeWeights, type Weights } from '../nn/weights.js';
import { exportOnnx } from '../interop/onnxExport.js';
import { ONNX_TOLERANCE, verifyOnnx, type OnnxVerification } from '../interop/onnxVerify.js';
import { writeFileAtomic } from '../util/atomic.js';
import { BACKENDS, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { runProvenance } from '../util/provenance.js';
import { UserError, oneOf } from '../util/errors.js';
import { log, printJson } from '../util/output.js';
import { checkOutputFile } from '../util/outputDir.js';

export const summary = 'export a model directory or a zoo model (deploy form) as ONNX (opset 13), checked in ONNX Runtime against tfjs';

const SPEC = {
  command: 'export-onnx',
  summary,
  positionals: '<model-dir|model-name> <file.onnx>',
  minPositionals: 2,
  maxPositionals: 2,
  flags: {
    verify: { type: 'boolean', default: true, description: `run the file in ONNX Runtime and compare with tfjs (relative error <= ${ONNX_TOLERANCE})` },
    seed: { type: 'number', integer: true, default: 0, description: 'initialisation seed (zoo names only)' },
    threads: { type: 'number', integer: true, min: 1, max: 1024, description: 'ONNX Runtime threads for the check (default: every core)' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

type Flags = NonNullable<ReturnType<typeof parseCommandFlags<typeof SPEC>>>;

const given = (f: Flags) => Object.entries(modelOptionsFromFlags(f)).map(([k]) => k);

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Mistakes found before any work: flags that do not apply, a source that is neither a directory nor a zoo name. */
function checkSource(src: string, f: Flags): void {
  if (isDir(src)) {
    if (given(f).length > 0)
      throw new UserError(`model flags (${given(f).join(', ')}) apply to zoo names; ${src} is a model directory, which records its own model`);
  } else if (!(MODEL_NAMES as readonly string[]).includes(src)) {
    throw new UserError(`'${src}' is neither a model directory nor a zoo model (valid models are ${oneOf(MODEL_NAMES)})`);
  }
}

/** The deploy description and weights of the source: a directory (as saved) or a zoo name (fresh, merged). */
async function source(
  src: string,
  f: Flags,
): Promise<{ model: string; options: Record<string, unknown>; desc: ModelDescription; weights: Weights; from: string }> {
  if (isDir(src)) {
    const d = await loadModelFolder(src);
    return { model: d.model, options: { ...d.options }, desc: d.desc, weights: d.weights, from: `directory (${d.record.source})` };
  }
  const options = modelOptions(src, modelOptionsFromFlags(f));
  const train = Model.create(src, options, 'train', f.seed);
  let deploy: Model;
  try {
    train.setLambda(1);
    deploy = train.toDeploy();
  } finally {
    train.dispose();
  }
  return { model: src, options: { ...options }, desc: deploy.desc, weights: deploy.weights, from: `zoo (fresh weights, seed ${f.seed})` };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const [src, file] = f.positionals;
  if (!file.toLowerCase().endsWith('.onnx')) throw new UserError(`the output file should end in .onnx, got '${file}'`);
  checkOutputFile(file); // before the backend and the model
  checkSource(src, f);
  const backend = await selectBackend(f.backend, { log });
  const s = await source(src, f);
  try {
    const provenance = runProvenance(process.argv.slice(2), backend, f.seed);
    const exp = exportOnnx(s.desc, s.weights, {
      producerVersion: provenance.commit?.slice(0, 12) ?? '',
      docString: `${s.model} deploy form exported by vanillabench (${s.from})`,
      metadata: { model: s.model, options: JSON.stringify(s.options), layout: 'NCHW', source: s.from },
    });
    let verification: OnnxVerification | null = null;
    if (f.verify) {
      verification = await verifyOnnx(exp, s.desc, s.weights, { threads: f.threads });
      log(
        `export-onnx: ONNX Runtime ${verification.ortVersion} vs tfjs (${backend.name}) on ${verification.batch} random inputs: ` +
          `max relative error ${verification.maxRelErr.toExponential(2)} (tolerance ${verification.tolerance})`,
      );
      if (!verification.passed) {
        throw new Error(
          `internal: the exported ONNX model differs from tfjs: max relative error ${verification.maxRelErr} > ${verification.tolerance} (nothing was written)`,
        );
      }
    }
    writeFileAtomic(file, [Buffer.from(exp.bytes.buffer, exp.bytes.byteOffset, exp.bytes.byteLength)]);
    const result = {
      model: s.model,
      source: s.from,
      file,
      bytes: exp.bytes.byteLength,
      opset: exp.opset,
      irVersion: exp.irVersion,
      input: { name: exp.inputName, shape: exp.inputShape, type: 'float32', layout: 'NCHW' },
      output: { name: exp.outputName, shape: exp.outputShape },
      ops: exp.ops,
      params: exp.params,
      verification,
      backend: backend.name,
      tfjsVersion: backend.tfjsVersion,
    };
    if (f.json) {
      printJson(result);
      return;
    }
    console.log(`wrote ${file} (${s.model}, deploy form, ${(exp.bytes.byteLength / 2 ** 20).toFixed(2)} MiB, opset ${exp.opset}, IR ${exp.irVersion})`);
    console.log(`  input '${exp.inputName}' [${exp.inputShape.join(', ')}] float32 NCHW -> output '${exp.outputName}' [${exp.outputShape.join(', ')}]`);
    console.log(
      `  ops: ${Object.entries(exp.ops)
        .map(([k, v]) => `${k} x${v}`)
        .join(', ')}`,
    );
    console.log(
      verification
        ? `  verified in ONNX Runtime ${verification.ortVersion}: max relative error ${verification.maxRelErr.toExponential(2)} vs tfjs (${backend.name}) <= ${verification.tolerance}`
        : '  not verified (--no-verify)',
    );
  } finally {
    disposeWeights(s.weights);
  }
}
