/**
 * `vanillabench import <checkpoint> --model <name> --out <dir>`: a PyTorch checkpoint (.pth, torch.save zip format)
 * or a .safetensors file of the authors' VanillaNet code -> a TF.js LayersModel directory (deploy form) plus
 * vanillabench.json. Training-form checkpoints are merged at lambda = 1 (the released ones are trained to it).
 */
import { statSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { extname, join } from 'node:path';
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { modelOptions } from '../models/zoo.js';
import { IMAGENET_PREPROCESSING } from '../data/preprocessing.js';
import type { Form } from '../models/graph.js';
import type { ModelOptions } from '../models/options.js';
import { Model } from '../nn/model.js';
import { saveLayersModel, toLayersModel } from '../nn/export.js';
import { disposeWeights } from '../nn/weights.js';
import { listTorchCheckpointKeys, listTorchStateDict, loadSafetensors, loadTorchStateDict } from '../interop/index.js';
import type { LoadedTensor } from '../interop/tensor.js';
import { importTorchStateDict } from '../interop/torchMapping.js';
import { BACKENDS, backendSummary, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { runProvenance } from '../util/provenance.js';
import { UserError, oneOf } from '../util/errors.js';
import { checkOutputDir } from '../util/outputDir.js';
import { log, printJson } from '../util/output.js';

export const summary = "import a PyTorch checkpoint (.pth or .safetensors) of the authors' VanillaNet as a TF.js LayersModel directory (deploy form)";

/** The metadata file written beside model.json. */
export const METADATA_FILE = 'vanillabench.json';

/** Keys tried, in order, when a checkpoint dict is given without --key. */
export const DEFAULT_KEYS = ['model', 'model_ema'] as const;

const SPEC = {
  command: 'import',
  summary,
  positionals: '<checkpoint.pth|checkpoint.safetensors>',
  minPositionals: 1,
  maxPositionals: 1,
  flags: {
    model: { type: 'string', required: true, description: 'zoo model the checkpoint holds, e.g. vanillanet-5', valueName: 'name' },
    key: { type: 'string', description: `state dict inside a checkpoint dict (default: ${DEFAULT_KEYS.join(', then ')})`, valueName: 'key' },
    form: { type: 'string', choices: ['train', 'deploy'], description: 'form of the checkpoint (default: from its names)' },
    out: { type: 'string', required: true, description: 'output directory (model.json, weights.bin, vanillabench.json)', valueName: 'dir' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

export interface LoadedCheckpoint {
  state: Map<string, LoadedTensor>;
  /** the key used (null: a bare state dict or a safetensors file) */
  key: string | null;
  /** true when the key was chosen by default */
  keyDefaulted: boolean;
  /** the checkpoint dict's keys (empty for a bare state dict or safetensors) */
  keys: string[];
}

/** Reads the state dict of a .pth (choosing the key as documented) or a .safetensors file. */
export function loadCheckpoint(file: string, key?: string): LoadedCheckpoint {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch (e) {
    throw new UserError(`cannot read checkpoint ${file}: ${(e as Error).message}`);
  }
  if (extname(file).toLowerCase() === '.safetensors') {
    if (key !== undefined) throw new UserError(`--key selects a state dict inside a .pth checkpoint; ${file} is a safetensors file (one flat state dict)`);
    return { state: loadSafetensors(file), key: null, keyDefaulted: false, keys: [] };
  }
  if (key !== undefined) return { state: loadTorchStateDict(file, key), key, keyDefaulted: false, keys: listTorchCheckpointKeys(file) };
  let bare = true;
  try {
    listTorchStateDict(file);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    bare = false;
  }
  if (bare) return { state: loadTorchStateDict(file), key: null, keyDefaulted: false, keys: [] };
  const keys = listTorchCheckpointKeys(file);
  const chosen = DEFAULT_KEYS.find((k) => keys.includes(k));
  if (chosen === undefined) {
    throw new UserError(
      `${file} is a checkpoint dict without ${oneOf(DEFAULT_KEYS.map((k) => `'${k}'`))}; choose its state dict with --key ` +
        `(keys: ${keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'none'})`,
    );
  }
  return { state: loadTorchStateDict(file, chosen), key: chosen, keyDefaulted: true, keys };
}

export interface ImportResult {
  model: string;
  options: ModelOptions;
  source: string;
  key: string | null;
  keyDefaulted: boolean;
  /** other keys of the checkpoint dict */
  otherKeys: string[];
  /** the form of the checkpoint */
  form: Form;
  formDetected: boolean;
  /** merge lambda of a training-form checkpoint (null for deploy checkpoints) */
  mergedAtLambda: number | null;
  tensors: number;
  ignored: number;
  strippedPrefix: string | null;
  out: string;
  files: string[];
}

/** The import itself (the backend already selected): reads, maps, merges and writes `out`. */
export async function importCheckpoint(args: {
  file: string;
  model: string;
  options: ModelOptions;
  key?: string;
  form?: Form;
  out: string;
  provenance?: unknown;
}): Promise<ImportResult> {
  const ck = loadCheckpoint(args.file, args.key);
  const imp = importTorchStateDict(ck.state, args.model, args.options, { source: args.file, form: args.form });
  let deploy: Model;
  if (imp.form === 'train') {
    const train = new Model(imp.desc, args.options, imp.weights);
    train.setLambda(1);
    try {
      deploy = train.toDeploy();
    } finally {
      train.dispose();
    }
  } else {
    deploy = new Model(imp.desc, args.options, imp.weights);
    deploy.lambda = 1;
  }
  const result: ImportResult = {
    model: args.model,
    options: args.options,
    source: args.file,
    key: ck.key,
    keyDefaulted: ck.keyDefaulted,
    otherKeys: ck.keys.filter((k) => k !== ck.key),
    form: imp.form,
    formDetected: imp.formDetected,
    mergedAtLambda: imp.form === 'train' ? 1 : null,
    tensors: ck.state.size,
    ignored: imp.ignored.length,
    strippedPrefix: imp.strippedPrefix ?? null,
    out: args.out,
    files: ['model.json', 'weights.bin', METADATA_FILE],
  };
  const metadata = {
    model: args.model,
    options: args.options,
    form: 'deploy' as const,
    // the authors train and evaluate on ImageNet: predict and evaluate apply their evaluation transform
    preprocessing: IMAGENET_PREPROCESSING,
    imported: {
      file: args.file,
      bytes: statSync(args.file).size,
      key: ck.key,
      form: imp.form,
      mergedAtLambda: result.mergedAtLambda,
      tensors: result.tensors,
      ignored: result.ignored,
      strippedPrefix: result.strippedPrefix,
    },
    ...(args.provenance !== undefined ? { provenance: args.provenance } : {}),
  };
  try {
    const layers = toLayersModel(deploy.desc, deploy.weights);
    try {
      await saveLayersModel(layers, args.out, metadata);
    } finally {
      layers.dispose();
    }
  } finally {
    deploy.dispose();
    disposeWeights(imp.weights);
  }
  const metaFile = join(args.out, METADATA_FILE);
  writeFileAtomic(metaFile, `${JSON.stringify(metadata, null, 2)}\n`);
  return result;
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const [file] = f.positionals;
  checkOutputDir(f.out);
  const options = modelOptions(f.model, modelOptionsFromFlags(f));
  const backend = await selectBackend(f.backend, { log });
  const r = await importCheckpoint({
    file,
    model: f.model,
    options,
    key: f.key,
    form: f.form,
    out: f.out,
    provenance: runProvenance(process.argv.slice(2), backend),
  });
  if (f.json) {
    printJson({ ...r, backend: backend.name, tfjsVersion: backend.tfjsVersion });
    return;
  }
  const keyNote =
    r.key === null
      ? ''
      : r.keyDefaulted
        ? `key '${r.key}' (the default${r.otherKeys.length ? `; also in the file: ${r.otherKeys.map((k) => `'${k}'`).join(', ')}, choose with --key` : ''}), `
        : `key '${r.key}', `;
  const formNote = `${r.form} form${r.formDetected ? ' (from its names)' : ''}`;
  const merge = r.form === 'train' ? ', merged at lambda = 1' : '';
  console.log(`imported ${file}: ${keyNote}${formNote}, ${r.tensors} tensors${r.ignored ? ` (${r.ignored} num_batches_tracked ignored)` : ''}${merge}`);
  console.log(`wrote ${r.out}/model.json, weights.bin and ${METADATA_FILE} (${r.model}, deploy form; ${backendSummary(backend)})`);
}
