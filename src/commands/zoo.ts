/** `vanillabench zoo`: every model with params, MACs and depth counted from its description, beside the paper's. */
import { MODEL_FLAGS, listArg, modelOptionsFromFlags } from './modelFlags.js';
import { MODEL_NAMES, modelOptions, zooEntry } from '../models/zoo.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { printJson } from '../util/output.js';

export const summary = "params, MACs and depth of every model (deploy and training form) beside the paper's Table 4";

const SPEC = {
  command: 'zoo',
  summary,
  flags: {
    models: { type: 'string', description: 'comma-separated model names, or all', valueName: 'names' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const names = listArg(f.models, MODEL_NAMES);
  const entries = names.map((n) => zooEntry(n, modelOptions(n, modelOptionsFromFlags(f))));
  if (f.json) {
    printJson(entries.map(({ options, ...e }) => ({ ...e, options })));
    return;
  }
  const na = (e: (typeof entries)[number]) => (e.paperNA ? 'n/a' : '-');
  const rows = entries.map((e) => [
    e.name,
    String(e.depth),
    small(e.paramsM),
    small(e.gmacs),
    String(e.trainDepth),
    small(e.trainParamsM),
    small(e.trainGmacs),
    e.paper ? String(e.paper.depth) : na(e),
    e.paper ? e.paper.paramsM.toFixed(1) : na(e),
    e.paper ? e.paper.gflops.toFixed(1) : na(e),
    e.paper ? e.paper.latencyMs.toFixed(2) : na(e),
    e.paper ? e.paper.top1.toFixed(2) : na(e),
  ]);
  const head = [
    'model',
    'depth',
    'params M',
    'GMACs',
    'train depth',
    'train params M',
    'train GMACs',
    'paper depth',
    'paper params M',
    'paper GFLOPs',
    'paper A100 ms (other hw)',
    'paper top-1',
  ];
  const o = entries[0]?.options;
  console.log(
    `deploy form (what the paper reports) and training form; ${o ? `${o.inputSize}x${o.inputSize}x${o.inputChannels}, ${o.numClasses} classes, width ${o.width}` : ''}`,
  );
  console.log(table(head, rows));
  const notShown = entries.find((e) => e.paperNA);
  if (notShown) console.log(`paper: ${notShown.paperNA}: its figures are not comparable, so they are not shown`);
  console.log("paper A100 ms: the paper's batch-1 deploy-form latency on an NVIDIA A100, other hardware than ours (see latency)");
  console.log('baselines: params count BatchNorm as published (gamma, beta); our deploy form folds BN into biases (deployParamsM in --json)');
}

/** One decimal, or two significant digits below 0.1 (a width-1/16 model has 0.0034 GMACs, not 0.0). */
const small = (x: number): string => (x >= 0.1 || x === 0 ? x.toFixed(1) : x.toPrecision(2));

/** A plain aligned text table. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
