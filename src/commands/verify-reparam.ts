/** `vanillabench verify-reparam`: each deploy (merged) model computes its training form's function. */
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { table } from './zoo.js';
import { MODEL_NAMES, modelOptions } from '../models/zoo.js';
import { checkReparam, type ReparamCheck } from '../nn/verify.js';
import { BACKENDS, backendSummary, selectBackend } from '../backend/select.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { log, printJson } from '../util/output.js';
import { UserError } from '../util/errors.js';

export const summary = 'check that every deploy model equals its training form (random weights and BN statistics, lambda = 1)';

const SPEC = {
  command: 'verify-reparam',
  summary,
  flags: {
    models: {
      type: 'string',
      description: 'comma-separated model names (default: every VanillaNet, its shortcut variants and the baselines with both tricks)',
      valueName: 'names',
    },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    batch: { type: 'number', integer: true, min: 1, default: 2, description: 'random inputs per model' },
    seed: { type: 'number', integer: true, default: 0, description: 'seed of weights and inputs' },
    tolerance: { type: 'number', default: 1e-4, description: 'largest acceptable maxRelErr' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

/** The default set: every VanillaNet, the shortcut variants, and the baselines with both tricks on (where merging applies). */
function defaultCases(): { name: string; variant: Record<string, unknown> }[] {
  const vanilla = MODEL_NAMES.filter((n) => n.startsWith('vanillanet')).map((name) => ({ name, variant: {} }));
  return [
    ...vanilla,
    { name: 'vanillanet-6', variant: { shortcut: 'before-act' } },
    { name: 'vanillanet-6', variant: { shortcut: 'after-act' } },
    { name: 'alexnet', variant: { deepTraining: true, seriesAct: true } },
    { name: 'resnet-18', variant: { deepTraining: true, seriesAct: true } },
    { name: 'resnet-50', variant: { deepTraining: true, seriesAct: true } },
  ];
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const backend = await selectBackend(f.backend, { log });
  const given = modelOptionsFromFlags(f, { width: 0.125 });
  const cases = f.models ? f.models.split(',').map((name) => ({ name: name.trim(), variant: {} })) : defaultCases();
  const results: (ReparamCheck & { backend: string; tfjsVersion: string })[] = [];
  for (const c of cases) {
    const options = modelOptions(c.name, { ...c.variant, ...given });
    const variant = Object.entries(c.variant)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const r = await checkReparam(c.name, options, variant, f.batch, f.seed);
    log(`${c.name}${variant ? ` [${variant}]` : ''}: maxRelErr ${r.maxRelErr.toExponential(2)} over ${r.outputsCompared} outputs`);
    results.push({ ...r, backend: backend.name, tfjsVersion: backend.tfjsVersion });
  }
  if (f.json) printJson(results);
  else {
    console.log(`width ${given.width}, input ${given.inputSize ?? 224}, ${backendSummary(backend)}`);
    console.log(
      table(
        ['model', 'variant', 'maxAbsErr', 'maxRelErr', 'outputs'],
        results.map((r) => [r.name, r.variant || '-', r.maxAbsErr.toExponential(2), r.maxRelErr.toExponential(2), String(r.outputsCompared)]),
      ),
    );
  }
  const bad = results.filter((r) => !(r.maxRelErr <= f.tolerance));
  if (bad.length) throw new UserError(`${bad.length} model(s) exceed maxRelErr ${f.tolerance}: ${bad.map((r) => r.name).join(', ')}`);
}
