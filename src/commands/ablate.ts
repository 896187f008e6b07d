/**
 * `vanillabench ablate <experiment.ts>`: runs an experiment's matrix (models x factors x seeds) on a pool of
 * worker processes, one record per run in <out>/runs.jsonl, then summary.csv and summary.md (means, 95% CIs,
 * effects paired by seed, the paper's figures beside them, verdicts by src/ablation/rules.ts) and, for a rung of
 * the experiment's budget ladder, the ladder's summary beside the folder.
 */
import path from 'node:path';
import { BACKENDS, backendLine, selectBackend } from '../backend/select.js';
import { applyPreset } from '../ablation/experiment.js';
import { loadExperiment } from '../ablation/loadExperiment.js';
import { expandExperiment, runKey, type RunDescription } from '../ablation/matrix.js';
import { findTorchPython } from '../crosscheck/python.js';
import { LocalPool, defaultWorkers } from '../ablation/pool.js';
import { contextFor } from '../ablation/runBackend.js';
import { checkQueueName, checkRedis, DEFAULT_QUEUE_NAME, parseRedisUrl, PASSWORD_ENV, type RedisTarget } from '../queue/connection.js';
import { QueueExecutor } from '../queue/queueExecutor.js';
import type { QueueExecutorOptions } from '../queue/queueFollower.js';
import { MatrixProgress } from '../ablation/matrixProgress.js';
import { scheduleRuns } from '../ablation/dispatchOrder.js';
import { readRuns, RunStore, RUNS_FILE, type RecordContext } from '../ablation/store.js';
import type { RunRecord } from '../ablation/recordCheck.js';
import { applyTrainOverrides, overridesSuffix, parseTrainOverrides } from '../ablation/trainOverrides.js';
import { formatPlan, measuredTimes, planMatrix } from '../ablation/plan.js';
import { existsSync } from 'node:fs';
import { writeSummary } from '../ablation/summary.js';
import { answerJson, answerText, type AnswerJson } from '../ablation/answer.js';
import { ladderOfFolder } from '../ablation/ladder.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputDir.js';
import { formatDuration, log, printJson } from '../util/output.js';

export const summary = 'run an ablation matrix (experiments/*.ts: models x toggles x seeds) on worker processes; resumable; summary with CIs beside the paper';

const SPEC = {
  command: 'ablate',
  summary,
  positionals: '<experiment.ts>',
  minPositionals: 1,
  maxPositionals: 1,
  flags: {
    preset: {
      type: 'string',
      default: 'quick',
      description:
        "the experiment's preset: quick (a preview; table2: 24 runs in 6 min, table3: 9 in 3 min, measured on 2 workers of the 2-core machine) or full (table3: 24 runs in 42 min measured; table2: 52 runs, ~1.7 h estimated: docs/protocol-and-results.md), long (several hours); --dry-run estimates any selection",
      valueName: 'name',
    },
    workers: { type: 'number', integer: true, min: 1, max: 256, description: `worker processes (default: one per core, here ${defaultWorkers()})` },
    resume: { type: 'boolean', default: false, description: 'continue the matrix in --out: skip runs already ok, rerun diverged/failed/missing ones' },
    out: { type: 'string', description: 'output folder (default results/ablation/<experiment>-<preset>)', valueName: 'dir' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend (every worker uses the same)' },
    engine: {
      type: 'string',
      default: 'tfjs',
      choices: ['tfjs', 'torch'],
      description:
        'the trainer: ours (tfjs), or the authors\' PyTorch code under the same protocol, same data, batch order and initial weights (torch: scripts/torch_train.py, needs python3-torch; records engine "torch" beside ours in the same runs.jsonl)',
    },
    models: {
      type: 'string',
      description: 'only the entries of these models (comma-separated names, e.g. vanillanet-6); the summary still covers every stored run',
      valueName: 'names',
    },
    maxSeeds: {
      type: 'number',
      integer: true,
      min: 1,
      description: "only the first n of the preset's seeds (every entry's maxSeeds still applies)",
      valueName: 'n',
    },
    seeds: { type: 'string', description: "only these of the preset's seeds (comma-separated, e.g. 3,4)", valueName: 'list' },
    python: {
      type: 'string',
      description: 'with --engine torch: the Python 3 with PyTorch (default: $VANILLABENCH_PYTHON, python3, /usr/bin/python3)',
      valueName: 'path',
    },
    set: {
      type: 'string',
      multiple: true,
      description:
        "a trainer setting over the experiment's and the preset's, e.g. --set epochs=1 (repeatable; recorded in experiment.json; default folder gets the settings as a suffix)",
      valueName: 'key=value',
    },
    dryRun: {
      type: 'boolean',
      default: false,
      description: 'list the runs in dispatch order with their estimated times and the total, then stop (nothing is trained or written)',
    },
    runFiles: { type: 'boolean', default: true, description: 'a folder per run under <out>/runs/ (metrics.jsonl, summary.json, deploy weights; ~1-2 MB each)' },
    queue: {
      type: 'string',
      description: `run on \`vanillabench worker\` processes anywhere through this Redis job queue (BullMQ) instead of local workers: redis://[:PASSWORD@]host:port[/db], rediss:// for TLS (or the password in $${PASSWORD_ENV})`,
      valueName: 'url',
    },
    queueName: { type: 'string', default: DEFAULT_QUEUE_NAME, description: 'with --queue: the BullMQ queue (its workers take the same)', valueName: 'name' },
    queueTimeout: {
      type: 'number',
      min: 0,
      default: 0,
      description: 'with --queue: stop waiting when no run started, progressed or finished for this long (queued runs stay queued; 0: wait forever)',
      valueName: 'seconds',
    },
    queueClear: {
      type: 'boolean',
      default: false,
      description: "with --queue: remove other matrices' queued and finished jobs instead of refusing to share the queue",
    },
  },
} as const satisfies CommandSpec;

export interface AblateResult {
  experiment: string;
  preset: string;
  out: string;
  dataset: { name: string; trainSize?: number; valSize?: number; testSize?: number; inputSize: number; used: string[] };
  runs: { ok: number; diverged: number; failed: number; skipped: number };
  wallSeconds: number;
  /** the cells of this folder and the paper effects of its ladder (or of the folder alone), with their verdicts */
  answer: AnswerJson;
}

/**
 * The runs --models, --max-seeds and --seeds keep (all without them); an unknown model name or a seed the preset does
 * not have is an error that lists the known ones.
 */
export function selectRuns(runs: RunDescription[], seeds: readonly number[], models?: string, maxSeeds?: number, only?: string): RunDescription[] {
  let keep = runs;
  if (models !== undefined) {
    const known = [...new Set(runs.map((r) => r.cell.model))];
    const want = models
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    const unknown = want.filter((m) => !known.includes(m));
    if (unknown.length || !want.length)
      throw new UserError(
        `--models ${models}: ${unknown.length ? `not in this experiment: ${unknown.join(', ')}` : 'no name given'} (it has ${known.join(', ')})`,
      );
    keep = keep.filter((r) => want.includes(r.cell.model));
  }
  if (maxSeeds !== undefined) keep = keep.filter((r) => seeds.indexOf(r.seed) < maxSeeds);
  if (only !== undefined) {
    const want = only
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map(Number);
    const bad = want.filter((x) => !seeds.includes(x));
    if (bad.length || !want.length)
      throw new UserError(`--seeds ${only}: ${want.length ? `not seeds of this preset: ${bad.join(', ')}` : 'no seed given'} (it has ${seeds.join(', ')})`);
    keep = keep.filter((r) => want.includes(r.seed));
  }
  return keep;
}

/** A warning printer that says each distinct line once. */
function onceWarner(): (line: string) => void {
  const warned = new Set<string>();
  return (line) => {
    if (warned.has(line)) return;
    warned.add(line);
    log(`warning: ${line}`);
  };
}

/**
 * Where a matrix goes without --out: one folder per experiment and preset, so a user's quick preview never lands in
 * (or is refused by) the committed full results.
 */
export const defaultOut = (experiment: string, preset: string): string => path.join('results', 'ablation', `${experiment}-${preset}`);

function printResult(result: AblateResult, table: string[], json: boolean): void {
  if (json) {
    printJson(result);
    return;
  }
  const { runs } = result;
  console.log(table.join('\n'));
  console.log(
    `${result.experiment} (${result.preset}): ${runs.ok} ok, ${runs.diverged} diverged, ${runs.failed} failed, ${runs.skipped} skipped in ${formatDuration(result.wallSeconds)}`,
  );
  console.log(`records ${path.join(result.out, RUNS_FILE)}; summary ${path.join(result.out, 'summary.md')} and summary.csv`);
}

type Flags = NonNullable<ReturnType<typeof parseCommandFlags<typeof SPEC>>>;

/**
 * Where the runs go, checked before the experiment loads and any backend starts: --out a usable folder, --engine torch on local workers
 * only (its Python found once here, inherited by the workers), --queue's Redis reachable.
 */
async function checkWhereRunsGo(f: Flags): Promise<{ torch: boolean; redis: RedisTarget | null }> {
  if (f.out !== undefined) checkOutputDir(f.out);
  const torch = f.engine === 'torch';
  if (torch && f.queue !== undefined) throw new UserError('--engine torch runs on local workers only (not through --queue)');
  const redis = f.queue !== undefined ? parseRedisUrl(f.queue) : null;
  if (redis) {
    checkQueueName(f.queueName);
    await checkRedis(redis); // fail fast: before the experiment loads and the backend starts
  }
  if (torch) {
    // found once here (one clear line if missing); the workers inherit the choice
    process.env.VANILLABENCH_PYTHON = findTorchPython(f.python).python;
  } else if (f.python !== undefined) {
    throw new UserError('--python is for --engine torch');
  }
  return { torch, redis };
}

/** The store's latest record per run key, with a warning for those of this engine that are not in the matrix. */
function storedRuns(store: RunStore, runs: readonly RunDescription[], torch: boolean, warn: (line: string) => void): Map<string, RunRecord> {
  // by runKey: a PyTorch run of a description is a run of its own beside ours
  const existing = store.read(warn).latest;
  const inMatrix = new Set(runs.map(runKey));
  const foreign = [...existing.keys()].filter((k) => !inMatrix.has(k) && k.endsWith('-torch') === torch).length;
  if (foreign)
    warn(
      `${foreign} run${foreign > 1 ? 's' : ''} in ${store.file} ${foreign > 1 ? 'are' : 'is'} not in this matrix (was the experiment changed?); the summary still counts them: use --out DIR for a clean one`,
    );
  return existing;
}

/** With --queue: records come back as job results (run folders stay on the workers: worker --runs-dir). */
function queueExecutor(
  f: Flags,
  target: RedisTarget,
  context: RecordContext,
  slots: number,
  matrix: QueueExecutorOptions['matrix'],
  stored: ReadonlyMap<string, RunRecord>,
  progress: MatrixProgress,
): QueueExecutor {
  return new QueueExecutor({
    target,
    queueName: f.queueName,
    backend: f.backend,
    context,
    slots,
    matrix,
    stored,
    idleTimeoutMs: f.queueTimeout * 1000,
    clearForeign: f.queueClear,
    log: (line) => progress.print(line),
  });
}

/** The experiment's matrix (on the PyTorch trainer with --engine torch) and the runs --models / --max-seeds / --seeds select. */
async function loadMatrix(f: Flags, torch: boolean) {
  const experiment = await loadExperiment(f.positionals[0]);
  const set = parseTrainOverrides(f.set);
  const resolved = applyTrainOverrides(applyPreset(experiment, f.preset), set);
  const expanded = expandExperiment(resolved);
  const matrix = torch ? { ...expanded, runs: expanded.runs.map((r) => ({ ...r, engine: 'torch' as const })) } : expanded;
  const selected = selectRuns(matrix.runs, resolved.seeds, f.models, f.maxSeeds, f.seeds);
  return { experiment, resolved, matrix, selected, set };
}

/** --dry-run: the runs and their estimated times; reads the folder's records (if any), writes nothing. */
function printDryRun(f: Flags, out: string, loaded: Awaited<ReturnType<typeof loadMatrix>>): void {
  const { experiment, matrix, selected } = loaded;
  const file = path.join(out, RUNS_FILE);
  const latest = existsSync(file) ? readRuns(file, () => {}).latest : new Map<string, RunRecord>();
  const plan = planMatrix(scheduleRuns(selected), (r) => latest.get(runKey(r))?.status === 'ok', f.workers ?? defaultWorkers(), measuredTimes(latest.values()));
  if (f.json) return printJson({ experiment: experiment.name, preset: f.preset, out, set: loaded.set, ...plan });
  const refused = latest.size > 0 && !f.resume ? ' (it holds results: the run needs --resume or another --out)' : '';
  const head = `${experiment.name} (preset ${f.preset}): ${selected.length} of ${matrix.runs.length} runs, dataset ${matrix.datasetName}, into ${out}${refused}`;
  console.log(formatPlan(plan, head));
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const { torch, redis } = await checkWhereRunsGo(f);
  const loaded = await loadMatrix(f, torch);
  const { experiment, resolved, matrix, selected, set } = loaded;
  const out = f.out ?? defaultOut(experiment.name, f.preset) + overridesSuffix(set);
  if (f.dryRun) return printDryRun(f, out, loaded);
  // runs.jsonl is read on open, before the matrix and for every summary: say each thing once
  const warn = onceWarner();
  // a resume whose experiment changed is refused here: a cell never averages runs of different settings
  const store = RunStore.open(out, { resume: f.resume, experiment: experiment.name, preset: f.preset, warn, cells: matrix.cells });
  const t0 = performance.now();
  let pool: LocalPool | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    pool?.kill();
    store.close();
    log(`\n${signal}: stopped; finished runs are in ${store.file}; continue with --resume`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const existing = storedRuns(store, matrix.runs, torch, warn);
    const todo = scheduleRuns(selected.filter((r) => existing.get(runKey(r))?.status !== 'ok'));
    const skipped = selected.length - todo.length;
    writeFileAtomic(
      path.join(out, 'experiment.json'),
      `${JSON.stringify({ ...resolved, set, datasetName: matrix.datasetName, cells: matrix.cells.length, runs: matrix.runs.length }, null, 2)}\n`,
    );

    // the pool's workers run the backend selected here; queue workers select their own (runBackend.ts)
    const backend = redis ? null : await selectBackend(f.backend, { log: () => {} });
    if (backend) log(backendLine(backend));
    const workers = Math.max(1, Math.min(f.workers ?? defaultWorkers(), todo.length || 1));
    const part = selected.length < matrix.runs.length ? ` (${selected.length} selected by --models / --max-seeds / --seeds)` : '';
    log(
      `ablate ${experiment.name} (preset ${f.preset}${torch ? ', PyTorch reference trainer' : ''}): ${matrix.cells.length} cells x ${resolved.seeds.length} seeds = ${matrix.runs.length} runs${part}` +
        `${skipped ? `, ${skipped} already ok (skipped)` : ''}; dataset ${matrix.datasetName}; ${!todo.length ? 'nothing to run' : redis ? `job queue ${redis.redacted}` : `${workers} worker${workers > 1 ? 's' : ''}`}; writing ${out}`,
    );

    const counts = { ok: 0, diverged: 0, failed: 0 };
    if (todo.length) {
      const progress = new MatrixProgress(todo.length, workers);
      const context = contextFor(backend ?? f.backend);
      const matrixIds = { experiment: experiment.name, preset: f.preset, runIds: matrix.runs.map((r) => r.runId) };
      const executor = redis
        ? queueExecutor(f, redis, context, workers, matrixIds, existing, progress)
        : (pool = new LocalPool({ workers, backend: context.backend, runsDir: f.runFiles ? path.join(out, 'runs') : null, context }));
      await executor.run(
        todo,
        (r: RunRecord) => {
          store.append(r);
          counts[r.status]++;
          writeSummary(out, warn);
        },
        (e) => progress.event(e),
      );
      progress.finish();
    }
    const s = writeSummary(out, warn);
    const ladder = ladderOfFolder(out, s, warn);
    const dataset = { ...resolved.dataset, name: matrix.datasetName, used: s.datasets };
    const wallSeconds = (performance.now() - t0) / 1000;
    const result = { experiment: experiment.name, preset: f.preset, out, dataset, runs: { ...counts, skipped }, wallSeconds, answer: answerJson(s, ladder) };
    printResult(result, answerText(ladder), f.json);
    if (counts.failed > 0) {
      throw new UserError(
        `${counts.failed} run${counts.failed > 1 ? 's' : ''} failed (their errors are in ${store.file}); rerun them with --resume${f.out ? ` --out ${f.out}` : ''}`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store.close();
  }
}
