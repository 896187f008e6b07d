/** `vanillabench export <model> <dir>`: the deploy form as a standard TF.js LayersModel (model.json + weights.bin). */
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { modelOptions } from '../models/zoo.js';
import { Model } from '../nn/model.js';
import { saveLayersModel, toLayersModel } from '../nn/export.js';
import { BACKENDS, backendSummary, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { runProvenance } from '../util/provenance.js';
import { log, printJson } from '../util/output.js';
import { checkOutputDir } from '../util/outputDir.js';

export const summary = "save a model's deploy form (freshly initialised, merged) as a TF.js LayersModel directory";

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

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const [name, dir] = f.positionals;
  checkOutputDir(dir, 'the output folder'); // before the backend and the model
  const options = modelOptions(name, modelOptionsFromFlags(f));
  const backend = await selectBackend(f.backend, { log });
  const train = Model.create(name, options, 'train', f.seed);
  train.setLambda(1);
  const deploy = train.toDeploy();
  train.dispose();
  const provenance = runProvenance(process.argv.slice(2), backend, f.seed);
  await saveLayersModel(toLayersModel(deploy.desc, deploy.weights), dir, { model: name, options, provenance });
  deploy.dispose();
  const result = {
    model: name,
    dir,
    files: ['model.json', 'weights.bin'],
    customLayers: name.includes('adapool') ? ['AdaptiveMaxPool2D'] : [],
    backend: backend.name,
    tfjsVersion: backend.tfjsVersion,
  };
  if (f.json) printJson(result);
  else console.log(`wrote ${dir}/model.json and weights.bin (${name}, deploy form; ${backendSummary(backend)})`);
}
