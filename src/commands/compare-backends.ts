/** `vanillabench compare-backends`: each model's output on one backend (e.g. webgpu) against another's (wasm). */
import { BACKENDS, backendSummary, type BackendInfo } from '../backend/select.js';
import { compareBackends } from '../bench/compareBackends.js';
import { MODEL_NAMES, modelOptions, zooEntry } from '../models/zoo.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { UserError, oneOf } from '../util/errors.js';
import { log, printJson } from '../util/output.js';
import { table } from './zoo.js';

export const summary = "compare every model's outputs on two backends (e.g. webgpu against wasm) on the same weights and input";

const DEFAULT_MODELS =
  'vanillanet-5,vanillanet-6,vanillanet-7,vanillanet-8,vanillanet-9,vanillanet-10,vanillanet-11,vanillanet-12,vanillanet-13,resnet-18,resnet-34,resnet-50';
/** The full-size check, and what a software adapter (a CPU pretending to be a GPU) gets: every network, ~200x fewer MACs. */
const FULL = { width: 1, input: 224 };
const SMALL = { width: 0.25, input: 64 };

const SPEC = {
  command: 'compare-backends',
  summary:
    `${summary}. Weights and BN statistics are randomised (seeded) on the reference backend and copied to the ` +
    'test backend; the error is max |test - reference| / max |reference|. Exits 1 when a model exceeds --tolerance.',
  flags: {
    models: { type: 'string', description: `comma-separated zoo models (default ${DEFAULT_MODELS})`, valueName: 'list' },
    backend: { type: 'string', default: 'webgpu', choices: BACKENDS, description: 'backend under test' },
    reference: { type: 'string', default: 'wasm', choices: BACKENDS, description: 'reference backend' },
    form: { type: 'string', default: 'deploy', choices: ['deploy', 'train'], description: 'model form' },
    input: {
      type: 'number',
      integer: true,
      min: 8,
      max: 4096,
      description: `input resolution (default ${FULL.input}; ${SMALL.input} on a software adapter)`,
      valueName: 'px',
    },
    width: {
      type: 'number',
      min: 1 / 256,
      max: 4,
      description: `channel width multiplier (default ${FULL.width}; ${SMALL.width} on a software adapter)`,
      valueName: 'x',
    },
    batch: { type: 'number', default: 1, integer: true, min: 1, max: 256, description: 'images per call' },
    seed: { type: 'number', default: 0, integer: true, min: 0, description: 'seed of weights and input' },
    tolerance: { type: 'number', default: 1e-3, min: 0, description: 'largest acceptable relative error' },
    lambda: { type: 'number', default: 1, min: 0, max: 1, description: "train form: the deep-training lambda (below 1 the activation's leaky-ReLU path runs)" },
  },
} as const satisfies CommandSpec;

type Flags = NonNullable<ReturnType<typeof parseCommandFlags<typeof SPEC>>>;

/** Width and input: the flags', else the full-size check, or the small one where either backend is a software adapter. */
export function chooseSize(f: Flags, backends: readonly BackendInfo[], log: (line: string) => void): { width: number; input: number } {
  const software = backends.find((b) => b.adapter?.software);
  const base = software ? SMALL : FULL;
  if (software && (f.width === undefined || f.input === undefined))
    log(
      `compare-backends: ${software.name} runs on a software adapter (${software.adapter!.name}), not a GPU: ` +
        `defaults are width ${SMALL.width} and ${SMALL.input} px (every network, ~200x fewer MACs); --width ${FULL.width} --input ${FULL.input} for the full-size check`,
    );
  return { width: f.width ?? base.width, input: f.input ?? base.input };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const names = [
    ...new Set(
      (f.models ?? DEFAULT_MODELS)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (names.length === 0) throw new UserError(`--models needs a comma-separated list of ${oneOf(MODEL_NAMES)}`);
  names.forEach((n) => modelOptions(n)); // an unknown name fails before any backend starts
  let size = FULL;
  const r = await compareBackends({
    models: (test, reference) => {
      size = chooseSize(f, [test, reference], log);
      const models = names.map((name) => {
        const options = modelOptions(name, { inputSize: size.input, width: size.width });
        const z = zooEntry(name, options);
        return { name, options, cost: f.form === 'deploy' ? z.gmacs : z.trainGmacs };
      });
      const gmacs = models.reduce((a, m) => a + m.cost, 0) * f.batch;
      log(
        `compare-backends: ${models.length} model${models.length > 1 ? 's' : ''} (${f.form} form, ${size.input} px, width ${size.width}, batch ${f.batch}), ` +
          `${gmacs.toPrecision(3)} GMACs per backend in all; the time left is estimated after each model`,
      );
      return models;
    },
    form: f.form,
    test: f.backend,
    reference: f.reference,
    tolerance: f.tolerance,
    batch: f.batch,
    seed: f.seed,
    lambda: f.lambda,
    log,
  });
  const { input, width } = size;
  if (f.json) printJson({ ...r, inputSize: input, width, batch: f.batch, seed: f.seed, ...(f.form === 'train' ? { lambda: f.lambda } : {}) });
  else {
    console.log(`test: ${backendSummary(r.test)}; reference: ${backendSummary(r.reference)}; ${input} px, width ${width}, batch ${f.batch}`);
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
