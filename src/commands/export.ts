/** `vanillabench export <model> <dir>`: the deploy form as a standard TF.js LayersModel (model.json + weights.bin). */
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { modelOptions, zooEntry } from '../models/zoo.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../nn/model.js';
import { saveLayersModel, toLayersModel } from '../nn/export.js';
import { BACKENDS, backendSummary, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { runProvenance } from '../util/provenance.js';
import { log, printJson } from '../util/output.js';
import { checkOutputDir } from '../util/outputDir.js';

export const summary = "save a model's deploy form with random weights (freshly initialised, merged) as a TF.js LayersModel directory";

const SPEC = {
  command: 'export',
  summary,
  positionals: '<model> <dir>',
  minPositionals: 2,
  maxPositionals: 2,
  flags: {
    seed: { type: 'number', integer: true, default: 0, description: 'initialisation seed' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

const mb = (bytes: number): string => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`);

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const [name, dir] = f.positionals;
  checkOutputDir(dir, 'the output folder'); // before the backend and the model
  const options = modelOptions(name, modelOptionsFromFlags(f));
  const backend = await selectBackend(f.backend, { log });
  const params = zooEntry(name, options).deployParamsM;
  // untrained weights: say so before writing (a full-size model is tens of MB)
  log(`export: ${name} (width ${options.width}, ${options.inputSize} px): ${params} M parameters, random weights (seed ${f.seed}), ~${mb(params * 4e6)}`);
  const train = Model.create(name, options, 'train', f.seed);
  train.setLambda(1);
  const deploy = train.toDeploy();
  train.dispose();
  const provenance = runProvenance(process.argv.slice(2), backend, f.seed);
  await saveLayersModel(toLayersModel(deploy.desc, deploy.weights), dir, { model: name, options, provenance });
  deploy.dispose();
  const bytes = statSync(join(dir, 'weights.bin')).size;
  const result = {
    model: name,
    dir,
    files: ['model.json', 'weights.bin'],
    weights: 'random' as const,
    seed: f.seed,
    weightsBytes: bytes,
    customLayers: name.includes('adapool') ? ['AdaptiveMaxPool2D'] : [],
    backend: backend.name,
    tfjsVersion: backend.tfjsVersion,
  };
  if (f.json) printJson(result);
  else
    console.log(
      `wrote ${dir}/model.json and weights.bin (${mb(bytes)}): ${name}, deploy form, RANDOM weights (freshly initialised, seed ${f.seed}; ` +
        `for trained ones: train or import); ${backendSummary(backend)}`,
    );
}
