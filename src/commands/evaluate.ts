/**
 * `vanillabench evaluate <model-dir> --data <imagenet-val-folder>`: top-1 / top-5 of a TF.js model directory on an
 * ImageNet-layout folder (one sub-folder per class; sorted names = class indices) with the preprocessing the model
 * records (a trained model: its dataset's), else the authors' evaluation preprocessing (bicubic resize of the
 * shorter side to size / 0.875, centre crop, ImageNet mean/std).
 */
import { loadLayersModelFolder } from '../nn/modelFolder.js';
import { evaluateFolder } from '../nn/evaluate.js';
import { modelName } from './predict.js';
import { describePreprocessing, readRecordedIO } from '../data/preprocessing.js';
import { BACKENDS, backendSummary, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { UserError } from '../util/errors.js';
import { log, printJson, progressBar } from '../util/output.js';
import { existsSync, statSync } from 'node:fs';

export const summary =
  "top-1/top-5 of a TF.js model directory on an ImageNet-layout image folder (the model's recorded preprocessing, else the authors' ImageNet evaluation)";

const SPEC = {
  command: 'evaluate',
  summary,
  positionals: '<model-dir>',
  minPositionals: 1,
  maxPositionals: 1,
  flags: {
    data: {
      type: 'string',
      required: true,
      description: 'validation folder: <data>/<class>/*.jpg|jpeg|png, sorted class names = class indices',
      valueName: 'dir',
    },
    limit: { type: 'number', integer: true, min: 1, description: 'evaluate at most n images, taken round-robin over the classes', valueName: 'n' },
    batch: { type: 'number', integer: true, min: 1, max: 4096, default: 32, description: 'images per forward pass' },
    cropPct: {
      type: 'number',
      min: 0.05,
      max: 1,
      default: 0.875,
      description: 'centre-crop fraction: the shorter side is resized to input / crop-pct',
      valueName: 'x',
    },
    interpolation: { type: 'string', choices: ['cubic', 'linear'], default: 'cubic', description: 'resize kernel (the authors evaluate with bicubic)' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
  },
} as const satisfies CommandSpec;

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const [dir] = f.positionals;
  if (!existsSync(f.data) || !statSync(f.data).isDirectory()) throw new UserError(`--data ${f.data} does not exist or is not a directory`);
  const backend = await selectBackend(f.backend, { log });
  const model = await loadLayersModelFolder(dir);
  const name = modelName(dir);
  try {
    let bar: ReturnType<typeof progressBar> | null = null;
    const io = readRecordedIO(dir, model.outputs[0].shape[1] ?? 0);
    const r = await evaluateFolder(model, {
      root: f.data,
      preprocessing: io.preprocessing ?? undefined,
      limit: f.limit,
      batch: f.batch,
      cropPct: f.cropPct,
      kernel: f.interpolation,
      onStart: (total) => {
        bar = progressBar('evaluate', total);
      },
      onBatch: (done, _total, c1) => bar?.update(done, `top-1 ${pct(c1 / done)}`),
    });
    (bar as ReturnType<typeof progressBar> | null)?.finish(`${r.imagesPerSec.toFixed(1)} images/s`);
    const result = { model: name, dir, ...r, backend: backend.name, tfjsVersion: backend.tfjsVersion };
    if (f.json) {
      printJson(result);
      return;
    }
    const p = r.preprocessing;
    console.log(`${name} on ${f.data}: ${r.images} images${r.images < r.available ? ` of ${r.available}` : ''}, ${r.classes} classes`);
    console.log(`  top-1 ${pct(r.top1)} (${r.correct1})  top-5 ${pct(r.top5)} (${r.correct5})`);
    console.log(
      `  ${r.imagesPerSec.toFixed(1)} images/s end to end (${r.seconds.toFixed(1)} s; inference ${r.inferenceSeconds.toFixed(1)} s), batch ${f.batch}`,
    );
    console.log(
      p.kind === 'imagenet'
        ? `  preprocessing: ${p.interpolation} resize of the shorter side to ${p.resize}, centre crop ${p.crop}, ImageNet mean/std${io.preprocessing ? '' : ' (the model records none)'}; ${backendSummary(backend)}`
        : `  preprocessing: ${describePreprocessing(p)}; ${backendSummary(backend)}`,
    );
  } finally {
    model.dispose();
  }
}
