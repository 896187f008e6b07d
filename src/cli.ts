/**
 * `vanillabench <command> [flags]`: dispatches to src/commands/<name>.ts.
 *
 * Commands load lazily (most pull in tfjs), so `--help` and mistakes answer
 * at once. Each command module exports `summary: string` and
 * `run(argv: string[]): Promise<void>`, parses its own flags
 * (src/util/args.ts) and throws UserError for anything the user can fix.
 *
 * Exit codes: 0 ok; 1 UserError (message only); 2 no or an unknown command
 * (the usage goes to stderr); 70 anything else (a bug: the stack is printed).
 *
 * bin/vanillabench.js is the entry point; `node dist/src/cli.js ...` runs the same.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './util/errors.js';
import { runCommandEndHooks } from './util/cleanup.js';
import { packageRoot } from './util/provenance.js';

export interface CommandModule {
  summary: string;
  run(argv: string[]): Promise<void>;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

const PROGRAM = 'vanillabench';

/**
 * Every command, in the order `--help` lists them. `summary` repeats the
 * module's own (test/cli/args.test.ts checks they agree) so that --help need
 * not load every module; `load` is a literal import so tsc checks that the
 * module has the CommandModule shape.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'zoo',
    summary: "params, MACs and depth of every model (deploy and training form) beside the paper's Table 4",
    load: () => import('./commands/zoo.js'),
  },
  {
    name: 'verify-reparam',
    summary: 'check that every deploy model equals its training form (random weights and BN statistics, lambda = 1)',
    load: () => import('./commands/verify-reparam.js'),
  },
  {
    name: 'export',
    summary: "save a model's deploy form with random weights (freshly initialised, merged) as a TF.js LayersModel directory",
    load: () => import('./commands/export.js'),
  },
  {
    name: 'export-onnx',
    summary: 'export a model directory or a zoo model (deploy form) as ONNX (opset 13), checked in ONNX Runtime against tfjs',
    load: () => import('./commands/export-onnx.js'),
  },
  {
    name: 'import',
    summary: "import a PyTorch checkpoint (.pth or .safetensors) of the authors' VanillaNet as a TF.js LayersModel directory (deploy form)",
    load: () => import('./commands/import.js'),
  },
  {
    name: 'predict',
    summary: 'run a TF.js model directory on an image (top-5 classes) or an NCHW .npy batch (raw logits)',
    load: () => import('./commands/predict.js'),
  },
  {
    name: 'evaluate',
    summary:
      "top-1/top-5 of a TF.js model directory on an ImageNet-layout image folder (the model's recorded preprocessing, else the authors' ImageNet evaluation)",
    load: () => import('./commands/evaluate.js'),
  },
  {
    name: 'train',
    summary: 'train one model (toggles, dataset, seed), merge it, evaluate both forms, save the deploy weights',
    load: () => import('./commands/train.js'),
  },
  {
    name: 'bench-train',
    summary: 'training throughput of one model cell (default VanillaNet-6, width 1/16, 32x32, batch 64) on cpu/wasm/tensorflow/webgpu, stock vs our kernels',
    load: () => import('./commands/bench-train.js'),
  },
  {
    name: 'ablate',
    summary: 'run an ablation matrix (experiments/*.ts: models x toggles x seeds) on worker processes; resumable; summary with CIs beside the paper',
    load: () => import('./commands/ablate.js'),
  },
  {
    name: 'worker',
    summary: 'take ablation runs from a Redis job queue (ablate --queue) and train them here; any number of machines',
    load: () => import('./commands/worker.js'),
  },
  {
    name: 'crosscheck',
    summary: 'train a few steps here and in PyTorch (scripts/torch_train.py) from the same weights and batches; compare loss, lr, lambda and weights',
    load: () => import('./commands/crosscheck.js'),
  },
  {
    name: 'compare-backends',
    summary: "compare every model's outputs on two backends (e.g. webgpu against wasm) on the same weights and input",
    load: () => import('./commands/compare-backends.js'),
  },
  {
    name: 'latency',
    summary: "batch-1 inference latency of zoo models (deploy/train form) beside the paper's Table 4",
    load: () => import('./commands/latency.js'),
  },
  {
    name: 'report',
    summary: 'write results/REPORT.md and charts from the stored results (what held, what did not, what is missing)',
    load: () => import('./commands/report.js'),
  },
];

export const EXIT = { ok: 0, userError: 1, usage: 2, bug: 70 } as const;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [flags]`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Every command takes --help and --json (one JSON document on stdout; logs go to stderr).`,
    `Run '${PROGRAM} <command> --help' for its flags.`,
    '',
  ].join('\n');
}

const commandList = (): string => COMMANDS.map((c) => c.name).join(', ');

/** Runs the CLI on `argv` (arguments after the program name); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    // no command is a usage mistake: say what there is, and let scripts see it failed
    process.stderr.write(usage());
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
    process.stdout.write(usage());
    return EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  // `vanillabench help <command>` = `vanillabench <command> --help`
  const [name, args] = first === 'help' ? [rest[0], ['--help']] : [first, rest];
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const what = name.startsWith('-') ? `unknown option '${name}' (flags go after the command)` : `unknown command '${name}'`;
    process.stderr.write(`${PROGRAM}: ${what}; commands: ${commandList()} (see ${PROGRAM} --help)\n`);
    return EXIT.usage;
  }
  try {
    const mod = await entry.load();
    try {
      await mod.run([...args]);
    } finally {
      runCommandEndHooks(); // e.g. release the GPU, or Node would not exit
    }
    return EXIT.ok;
  } catch (err) {
    if (isUserError(err)) {
      process.stderr.write(`${PROGRAM}: ${err.message}\n`);
      return EXIT.userError;
    }
    const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    process.stderr.write(`${PROGRAM} ${entry.name}: internal error (a bug, please report it):\n${detail}\n`);
    return EXIT.bug;
  }
}

/** instanceof, or the name when a second copy of errors.js was loaded (e.g. src vs dist). */
function isUserError(err: unknown): err is Error {
  return err instanceof UserError || (err instanceof Error && err.name === 'UserError');
}

/** True when this file is the script node was started with (not imported by bin/vanillabench.js or a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
