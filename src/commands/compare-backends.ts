/** `vanillabench compare-backends`: each model's output on one backend (e.g. webgpu) against another's (wasm). */
import { BACKENDS } from '../backend/select.js';
import { backendSummary } from '../backend/select.js';
import { compareBackends } from '../bench/compareBackends.js';
import { MODEL_NAMES, modelOptions } from '../models/zoo.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { UserError, oneOf } from '../util/errors.js';
import { log, printJson } from '../util/output.js';
import { table } from './zoo.js';

export const summary = "compare every model's outputs on two backends (e.g. webgpu against wasm) on the same weights and input";

const SPEC = {
  command: 'compare-backends',
  summary:
    `${summary}. Weights and BN statistics are randomised (seeded) on the reference backend and copied to the ` +
    'test backend; the error is max |test - reference| / max |reference|. Exits 1 when a model exceeds --tolerance.',
  flags: {
    models: {
      type: 'string',
      default:
        'vanillanet-5,vanillanet-6,vanillanet-7,vanillanet-8,vanillanet-9,vanillanet-10,vanillanet-11,vanillanet-12,vanillanet-13,resnet-18,resnet-34,resnet-50',
      description: 'comma-separated zoo models',
      valueName: 'list',
    },
    backend: { type: 'string', default: 'webgpu', choices: BACKENDS, description: 'backend under test' },
    reference: { type: 'string', default: 'wasm', choices: BACKENDS, description: 'reference backend' },
    form: { type: 'string', default: 'deploy', choices: ['deploy', 'train'], description: 'model form' },
    input: { type: 'number', default: 224, integer: true, min: 8, max: 4096, description: 'input resolution (square)', valueName: 'px' },
    width: { type: 'number', default: 1, min: 1 / 256, max: 4, description: 'channel width multiplier', valueName: 'x' },
    batch: { type: 'number', default: 1, integer: true, min: 1, max: 256, description: 'images per call' },
    seed: { type: 'number', default: 0, integer: true, min: 0, description: 'seed of weights and input' },
    tolerance: { type: 'number', default: 1e-3, min: 0, description: 'largest acceptable relative error' },
    lambda: { type: 'number', default: 1, min: 0, max: 1, description: "train form: the deep-training lambda (below 1 the activation's leaky-ReLU path runs)" },
  },
} as const satisfies CommandSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const names = [
    ...new Set(
      f.models
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (names.length === 0) throw new UserError(`--models needs a comma-separated list of ${oneOf(MODEL_NAMES)}`);
  const models = names.map((name) => ({ name, options: modelOptions(name, { inputSize: f.input, width: f.width }) }));
  const r = await compareBackends({
    models,
    form: f.form,
    test: f.backend,
    reference: f.reference,
    tolerance: f.tolerance,
    batch: f.batch,
    seed: f.seed,
    lambda: f.lambda,
    log,
  });
  if (f.json) printJson({ ...r, inputSize: f.input, width: f.width, batch: f.batch, seed: f.seed, ...(f.form === 'train' ? { lambda: f.lambda } : {}) });
  else {
    console.log(`test: ${backendSummary(r.test)}; reference: ${backendSummary(r.reference)}; ${f.input} px, width ${f.width}, batch ${f.batch}`);
    console.log(
      table(
        ['model', 'form', 'relative error', 'max |abs err|', 'max |ref|', 'ok'],
        r.rows.map((x) => [x.model, x.form, x.relErr.toExponential(2), x.maxAbsErr.toExponential(2), x.maxAbsRef.toPrecision(3), x.ok ? 'yes' : 'NO']),
      ),
    );
  }
  const bad = r.rows.filter((x) => !x.ok);
  if (bad.length > 0) {
    throw new UserError(
      `${bad.length} model(s) differ by more than ${f.tolerance} (relative) between ${r.test.name} and ${r.reference.name}: ${bad.map((x) => x.model).join(', ')}`,
    );
  }
}
