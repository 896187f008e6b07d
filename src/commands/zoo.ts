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
  const rows = entries.map((e) => [
    e.name,
    String(e.depth),
    e.paramsM.toFixed(1),
    e.gmacs.toFixed(1),
    String(e.trainDepth),
    e.trainParamsM.toFixed(1),
    e.trainGmacs.toFixed(1),
    e.paper ? String(e.paper.depth) : '-',
    e.paper ? e.paper.paramsM.toFixed(1) : '-',
    e.paper ? e.paper.gflops.toFixed(1) : '-',
    e.paper ? e.paper.latencyMs.toFixed(2) : '-',
    e.paper ? e.paper.top1.toFixed(2) : '-',
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
    'paper A100 ms',
    'paper top-1',
  ];
  const o = entries[0]?.options;
  console.log(
    `deploy form (what the paper reports) and training form; ${o ? `${o.inputSize}x${o.inputSize}x${o.inputChannels}, ${o.numClasses} classes, width ${o.width}` : ''}`,
  );
  console.log(table(head, rows));
  console.log('baselines: params count BatchNorm as published (gamma, beta); our deploy form folds BN into biases (deployParamsM in --json)');
}

/** A plain aligned text table. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
