/**
 * `vanillabench latency`: batch-1 (or batch-N) inference latency of zoo models in deploy and/or train form,
 * beside the paper's A100 figures (Table 4). Results go to results/latency/<runtime>-<machine>-<runid>.json + .csv
 * (or merge into <runtime>-<machine>.json). `--runtime onnxruntime` times the deploy forms exported to ONNX (in
 * memory) in onnxruntime-node instead, with the same statistics. `--runtimes` measures several runtimes in one run
 * (a study: ../bench/latencyStudy.ts), each in its own process under the study's run id.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, backendSummary, selectBackend, type BackendInfo } from '../backend/select.js';
import { latencyResult, type LatencyResult } from '../bench/measureLatency.js';
import { ortTimed, probeAndMeasure, tfjsTimed } from '../bench/timedModel.js';
import {
  latencyFileName,
  mergeIntoLatencyFile,
  mergeLatency,
  writeLatencyFile,
  type LatencyForm,
  type LatencyRow,
  type LatencyRuntime,
} from '../results/latencyFile.js';
import { chooseRunFile, load1, newRunId } from '../results/latencyRun.js';
import type { LoadWindow } from '../results/latencyFile.js';
import { watchXnnErrors, xnnErrorReason, type XnnErrorWatch } from '../backend/xnnErrors.js';
import { parseRuntimes, runStudy, runtimeStoreName, RUNTIMES_SYNTAX, type StudyOutcome } from '../bench/latencyStudy.js';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../interop/onnx.js';
import { defaultOrtThreads, loadOrt, ortVersion, type OrtModule } from '../interop/ort.js';
import { MODEL_NAMES, modelOptions, zooEntry, type ZooEntry } from '../models/zoo.js';
import { paperRow } from '../models/paper.js';
import { Model } from '../nn/model.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputDir.js';
import { log, printJson } from '../util/output.js';
import { machineInfo, runProvenance } from '../util/provenance.js';

export const summary = "batch-1 inference latency of zoo models (deploy/train form) beside the paper's Table 4";

const SPEC = {
  command: 'latency',
  summary:
    'Times model.predict + readback per call with tinybench (warm-up excluded; sampling until both --min-time-ms and ' +
    "--min-samples are met). --models table4 = every zoo model with a row in the paper's Table 4, plus alexnet. " +
    'The train form runs in inference mode with lambda = 1 (un-merged). Models whose single forward pass exceeds ' +
    '--max-single-ms, or whose GMACs exceed --max-gmacs, are listed as skipped with the reason. ' +
    '--runtime onnxruntime times the deploy form exported to ONNX in onnxruntime-node (CPU, --threads intra-op threads); ' +
    'the train form is not exported, so it is skipped there. --backend wasm --threads N runs tfjs-wasm on N XNNPACK threads ' +
    "(tfjs' multi-threaded build, which tfjs itself does not use in Node). --runtimes measures several runtimes in one run " +
    '(one run id, one file per runtime, each runtime in its own process): e.g. --runtimes wasm,wasm:2,onnxruntime:1,onnxruntime:2.',
  flags: {
    runtime: {
      type: 'string',
      default: 'tfjs',
      choices: ['tfjs', 'onnxruntime'],
      description: 'tfjs (the --backend), or ONNX Runtime on the exported deploy form',
    },
    threads: {
      type: 'number',
      integer: true,
      min: 1,
      max: 1024,
      description: 'ONNX Runtime intra-op threads (default: every core), or tfjs-wasm XNNPACK threads with --backend wasm (default 1, at most 8)',
    },
    runtimes: {
      type: 'string',
      description: `measure several runtimes in one run (a study): ${RUNTIMES_SYNTAX}; instead of --runtime/--backend/--threads`,
      valueName: 'list',
    },
    runId: { type: 'string', description: 'the run id to store under (what --runtimes gives each runtime it runs; default: a new one)', valueName: 'id' },
    models: { type: 'string', default: 'table4', description: "'table4', 'all' or a comma-separated list of zoo models", valueName: 'list' },
    form: { type: 'string', default: 'both', choices: ['deploy', 'train', 'both'], description: 'which form(s) to time' },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
    input: { type: 'number', default: 224, integer: true, min: 8, max: 4096, description: 'input resolution (square)', valueName: 'px' },
    batch: { type: 'number', default: 1, integer: true, min: 1, max: 4096, description: 'images per call' },
    width: { type: 'number', default: 1, min: 1 / 256, max: 4, description: 'channel width multiplier (1 = the paper)', valueName: 'x' },
    minTimeMs: { type: 'number', default: 2000, min: 0, description: 'timed time per model and form to reach', valueName: 'ms' },
    minSamples: { type: 'number', default: 100, integer: true, min: 1, description: 'timed calls per model and form to reach' },
    warmupRuns: { type: 'number', default: 3, integer: true, min: 0, description: 'warm-up calls (excluded)' },
    warmupMs: { type: 'number', default: 250, min: 0, description: 'warm-up time (excluded)', valueName: 'ms' },
    maxGmacs: { type: 'number', min: 0, description: 'skip models above this many GMACs (at --input)', valueName: 'n' },
    maxSingleMs: { type: 'number', default: 5000, min: 1, description: 'skip a model/form whose warm single forward pass takes longer', valueName: 'ms' },
    rounds: {
      type: 'number',
      default: 1,
      integer: true,
      min: 1,
      max: 100,
      description:
        'passes over the model list, each timing every model/form with the sampling settings; the samples of a form are pooled over the passes, so that a burst of load on a shared machine is spread over every model instead of falling on one',
    },
    seed: { type: 'number', default: 0, integer: true, min: 0, description: 'weight initialization seed' },
    out: { type: 'string', default: 'results/latency', description: 'folder of the latency results', valueName: 'dir' },
    merge: {
      type: 'boolean',
      default: false,
      description:
        'merge into <backend>-<machine>.json (newer rows replace older ones) instead of writing this run to its own <backend>-<machine>-<runid>.json',
    },
  },
} as const satisfies CommandSpec;

/** `table4`: every zoo model with a row in the paper's Table 4, plus the AlexNet-like baseline. */
export function table4Models(): string[] {
  return MODEL_NAMES.filter((n) => n === 'alexnet' || paperRow(n) !== null);
}

function modelList(value: string): string[] {
  if (value === 'table4') return table4Models();
  if (value === 'all') return [...MODEL_NAMES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UserError("--models needs 'table4', 'all' or a comma-separated list of models");
  for (const n of names) modelOptions(n); // validates the name (UserError listing the valid ones)
  return [...new Set(names)];
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

type BaseRow = Omit<LatencyRow, 'run'>;

function baseRow(name: string, form: LatencyForm, z: ZooEntry, input: number, batch: number, width: number): BaseRow {
  return {
    model: name,
    form,
    status: 'ok',
    inputSize: input,
    batch,
    width,
    depth: form === 'deploy' ? z.depth : z.trainDepth,
    paramsM: form === 'deploy' ? z.deployParamsM : z.trainParamsM,
    gmacs: form === 'deploy' ? z.gmacs : z.trainGmacs,
    // the paper timed deploy forms at batch 1 (on an A100): beside anything else its figures do not compare
    paper: form === 'deploy' && batch === 1 ? z.paper : null,
  };
}

/** Why a row of a model the paper has shows no paper figure: the form, the batch or the setting differ. */
function paperNA(r: BaseRow): string {
  if (r.form !== 'deploy') return 'n/a for the training form (the paper times deploy forms)';
  if (r.batch !== 1) return `n/a at batch ${r.batch} (the paper: batch 1)`;
  return zooEntry(r.model, modelOptions(r.model, { inputSize: r.inputSize, width: r.width })).paperNA ?? 'n/a';
}

const fmt = (x: number | undefined, d = 2): string => (x === undefined ? '-' : x.toFixed(d));

/** Why ONNX Runtime has no training-form rows. */
export const ORT_TRAIN_FORM_REASON = 'not available on onnxruntime: only deploy forms are exported to ONNX (time the training form with --runtime tfjs)';

type Flags = NonNullable<ReturnType<typeof parseCommandFlags<typeof SPEC>>>;

/** Why a form is not even built: the runtime lacks it, --max-gmacs, its deploy form was too slow, or it would be. */
function skipBeforeBuilding(
  f: Flags,
  onOrt: boolean,
  row: BaseRow,
  modelRows: readonly BaseRow[],
  msPerGmac: { rate: number; from: string } | null,
): string | null {
  if (onOrt && row.form === 'train') return ORT_TRAIN_FORM_REASON;
  if (f.maxGmacs !== undefined && row.gmacs > f.maxGmacs) return `${row.gmacs} GMACs > --max-gmacs ${f.maxGmacs}`;
  // the training form is the deploy form plus layers: when the deploy form was too slow, so is this one; not
  // building it also spares the wasm heap (4 GiB at most) a model that could exhaust it
  const slowDeploy = modelRows.find((r) => r.form === 'deploy' && r.status === 'skipped');
  if (row.form === 'train' && slowDeploy) return `its deploy form was already too slow (${slowDeploy.reason})`;
  if (msPerGmac) {
    const predicted = msPerGmac.rate * row.gmacs * f.batch;
    if (predicted > 2 * f.maxSingleMs) {
      return (
        `estimated ${Math.round(predicted)} ms per forward pass (${row.gmacs} GMACs at the ${msPerGmac.rate.toFixed(1)} ms/GMAC ` +
        `measured on ${msPerGmac.from}) > 2 x --max-single-ms ${f.maxSingleMs}`
      );
    }
  }
  return null;
}

function measuredRow(row: BaseRow, r: LatencyResult, cold: number, threads: number | undefined, load: LoadWindow): BaseRow {
  return {
    ...row,
    meanMs: round(r.mean, 4),
    medianMs: round(r.median, 4),
    p90Ms: round(r.p90, 4),
    p99Ms: round(r.p99, 4),
    minMs: round(r.min, 4),
    maxMs: round(r.max, 4),
    sdMs: round(r.sd, 4),
    rmePct: round(r.rme, 3),
    samples: r.n,
    throughput: round(r.throughput, 3),
    warmupRuns: r.warmupRuns,
    probeMs: round(cold, 3),
    samplesMs: r.samplesMs.map((s) => round(s, 4)),
    ...(threads !== undefined ? { threads } : {}),
    load1: load,
  };
}

/** One form's row after another round: the samples of both pooled (statistics recomputed), the first round's probe. */
function poolRounds(earlier: BaseRow | undefined, next: BaseRow, batch: number): BaseRow {
  if (!earlier || earlier.status !== 'ok' || next.status !== 'ok') return next;
  const samples = [...earlier.samplesMs!, ...next.samplesMs!];
  const r = latencyResult(samples, (earlier.warmupRuns ?? 0) + (next.warmupRuns ?? 0), batch);
  const load = { before: earlier.load1?.before ?? next.load1!.before, after: next.load1!.after };
  return { ...measuredRow(next, r, earlier.probeMs!, next.threads, load), rounds: (earlier.rounds ?? 1) + 1 };
}

function printLatencyTable(
  rows: readonly BaseRow[],
  comparisons: { model: string; deployMeanMs: number; trainMeanMs: number; trainOverDeploy: number }[],
  skipped: { model: string; form: LatencyForm; reason?: string }[],
  file: string,
): void {
  const header = ['model', 'form', 'depth', 'params M', 'GMACs', 'mean ms', 'median', 'p90', 'p99', 'min', 'sd', '±%', 'n', 'paper ms (A100, other hw)'];
  const table = rows.map((r) => [
    r.model,
    r.form,
    String(r.depth),
    fmt(r.paramsM),
    fmt(r.gmacs, 3),
    ...(r.status === 'ok'
      ? [fmt(r.meanMs), fmt(r.medianMs), fmt(r.p90Ms), fmt(r.p99Ms), fmt(r.minMs), fmt(r.sdMs), fmt(r.rmePct, 1), String(r.samples)]
      : ['skipped', '', '', '', '', '', '', '']),
    r.paper ? fmt(r.paper.latencyMs) : paperRow(r.model) ? 'n/a' : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(header), ...table.map(line)];
  for (const c of comparisons) out.push(`${c.model}: train/deploy = ${c.trainOverDeploy.toFixed(3)} (${fmt(c.trainMeanMs)} / ${fmt(c.deployMeanMs)} ms)`);
  for (const s of skipped) out.push(`skipped ${s.model} ${s.form}: ${s.reason}`);
  for (const reason of new Set(rows.filter((r) => !r.paper && paperRow(r.model)).map(paperNA))) out.push(`paper: ${reason}`);
  if (rows.some((r) => r.paper))
    out.push("paper ms: the paper's batch-1 deploy-form latency on an NVIDIA A100 (other hardware; not a target for this machine)");
  out.push(`results: ${file}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** What runs the timed calls when --runtime onnxruntime: ONNX Runtime on the CPU. */
function ortRuntime(ort: OrtModule, threads: number): LatencyRuntime {
  return { name: 'onnxruntime', version: ortVersion(ort), threads, executionProvider: 'cpu', opset: ONNX_OPSET, irVersion: ONNX_IR_VERSION };
}

/** The train/deploy mean latency ratio of a model timed in both forms, stored on both rows. */
function pairForms(name: string, modelRows: BaseRow[]): void {
  const d = modelRows.find((r) => r.form === 'deploy' && r.status === 'ok');
  const t = modelRows.find((r) => r.form === 'train' && r.status === 'ok');
  if (!d || !t) return;
  const ratio = round(t.meanMs! / d.meanMs!, 4);
  d.trainOverDeploy = ratio;
  t.trainOverDeploy = ratio;
  log(`${name}: train/deploy mean latency ${ratio.toFixed(3)}`);
}

/** The --json document, or the table with the comparisons and skips. */
function printResult(
  json: boolean,
  names: readonly string[],
  rows: readonly BaseRow[],
  stored: { json: string; csv: string },
  ran: { backend: BackendInfo; runtime: LatencyRuntime | undefined; provenance: unknown },
): void {
  const comparisons = names.flatMap((n) => {
    const d = rows.find((r) => r.model === n && r.form === 'deploy' && r.status === 'ok');
    const t = rows.find((r) => r.model === n && r.form === 'train' && r.status === 'ok');
    return d && t ? [{ model: n, deployMeanMs: d.meanMs!, trainMeanMs: t.meanMs!, trainOverDeploy: d.trainOverDeploy! }] : [];
  });
  const skipped = rows.filter((r) => r.status === 'skipped').map((r) => ({ model: r.model, form: r.form, reason: r.reason }));
  if (json) {
    printJson({
      file: stored.json,
      csv: stored.csv,
      backend: ran.backend,
      runtime: ran.runtime ?? { name: 'tfjs', backend: ran.backend.name, version: ran.backend.tfjsVersion },
      provenance: ran.provenance,
      rows: rows.map(({ samplesMs: _s, ...r }) => r),
      comparisons,
      skipped,
    });
    return;
  }
  printLatencyTable(rows, comparisons, skipped, stored.json);
}

/** Whether the run is on ONNX Runtime, after refusing flags that do not go with the runtime chosen. */
function checkRuntimeFlags(f: Flags): boolean {
  const onOrt = f.runtime === 'onnxruntime';
  if (onOrt && f.form === 'train') throw new UserError(`--form train: ${ORT_TRAIN_FORM_REASON}`);
  if (!onOrt && f.threads !== undefined && f.backend !== 'wasm')
    throw new UserError(
      `--threads sets ONNX Runtime's intra-op threads (--runtime onnxruntime) or tfjs-wasm's (--backend wasm); backend ${f.backend} chooses its own`,
    );
  if (f.runId !== undefined && !/^\d{8}T\d{6}Z$/.test(f.runId)) throw new UserError(`--run-id ${f.runId}: expected a run id like 20260101T120000Z`);
  return onOrt;
}

/** What carries over from one model to the next in a run. */
interface RunProgress {
  /** fastest observed ms per GMAC (per image), to predict a model's single forward time before building it */
  msPerGmac: { rate: number; from: string } | null;
  /** forms done or skipped so far, of `steps` */
  step: number;
  /** the pass over the model list (1..--rounds) */
  round: number;
  steps: number;
  started: number;
}

/** Where the forms are timed: tfjs (ort null), or their ONNX export in ONNX Runtime. */
interface TimingRuntime {
  ort: OrtModule | null;
  /** ONNX Runtime's intra-op threads */
  threads: number;
  /** the threads stored on each row (undefined where the runtime has no thread count of its own) */
  rowThreads: number | undefined;
  /** XNNPACK's error lines (tfjs-wasm): a form measured while they appear is refused */
  xnn?: XnnErrorWatch;
}

/** Times each form of one model, or says why not: its rows, pooled with the `earlier` rounds' rows of the model. */
async function timeModel(
  name: string,
  forms: readonly LatencyForm[],
  f: Flags,
  on: TimingRuntime,
  p: RunProgress,
  earlier: readonly BaseRow[],
): Promise<BaseRow[]> {
  const { ort, threads, rowThreads, xnn } = on;
  const options = modelOptions(name, { inputSize: f.input, width: f.width });
  const z = zooEntry(name, options);
  const modelRows: BaseRow[] = [];
  for (const form of forms) {
    p.step++;
    const row = baseRow(name, form, z, f.input, f.batch, f.width);
    const prefix = `[${p.step}/${p.steps}] ${name} ${form}${f.rounds > 1 ? ` (round ${p.round}/${f.rounds})` : ''}`;
    const skip = (reason: string): void => {
      log(`${prefix}: skipped (${reason})`);
      modelRows.push({ ...row, status: 'skipped', reason });
    };
    const prev = earlier.find((r) => r.form === form);
    if (prev?.status === 'skipped') {
      modelRows.push(prev); // skipped in an earlier round: not built again
      continue;
    }
    const before = skipBeforeBuilding(f, ort !== null, row, modelRows, p.msPerGmac);
    if (before) {
      skip(before);
      continue;
    }
    xnn?.take(); // errors of earlier models are theirs
    const model = Model.create(name, options, form, f.seed);
    if (form === 'train') model.setLambda(1);
    const timed = ort ? await ortTimed(ort, model, f.batch, threads) : tfjsTimed(model, f.batch);
    try {
      const m = await probeAndMeasure(timed, f, prefix);
      if ('skip' in m) {
        skip(m.skip);
        continue;
      }
      const xnnErrors = xnn?.take() ?? [];
      if (xnnErrors.length > 0) {
        skip(xnnErrorReason(xnnErrors));
        continue;
      }
      const { r, cold, load } = m;
      const rate = r.min / Math.max(row.gmacs * f.batch, 1e-9);
      if (row.gmacs > 0.01 && (!p.msPerGmac || rate < p.msPerGmac.rate)) p.msPerGmac = { rate, from: `${name} ${form}` };
      const pooled = poolRounds(prev, measuredRow(row, r, cold, rowThreads, load), f.batch);
      modelRows.push(pooled);
      const elapsed = (performance.now() - p.started) / 1000;
      log(
        `${prefix}: mean ${fmt(r.mean)} ms, median ${fmt(r.median)}, p90 ${fmt(r.p90)}, ±${fmt(r.rme, 1)}% (${r.n} samples)` +
          `${prev ? `; over the rounds: mean ${fmt(pooled.meanMs)} ms, ±${fmt(pooled.rmePct, 1)}% (${pooled.samples} samples)` : ''}` +
          `${row.paper ? `; paper ${row.paper.latencyMs} ms on an A100 (other hardware)` : ''}; ${Math.round(elapsed)} s elapsed`,
      );
    } finally {
      await timed.dispose();
    }
  }
  return modelRows;
}

/** The threads a tfjs backend computes on: XNNPACK's pool on wasm, one JS thread on cpu; none of its own elsewhere. */
function tfjsThreads(backend: BackendInfo): number | undefined {
  if (backend.name === 'wasm') return backend.threadCount ?? 1;
  return backend.name === 'cpu' ? 1 : undefined;
}

/** Whether `--name` (or `--name=...`) is on the command line. */
const given = (argv: readonly string[], name: string): boolean => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));

/** The flags every runtime of a study runs with: the study's own, but the runtime's. */
function studyFlags(f: Flags, runId: string): string[] {
  return [
    ...['--models', f.models, '--form', f.form, '--input', String(f.input), '--batch', String(f.batch), '--width', String(f.width)],
    ...['--min-time-ms', String(f.minTimeMs), '--min-samples', String(f.minSamples), '--warmup-runs', String(f.warmupRuns)],
    ...['--warmup-ms', String(f.warmupMs), '--max-single-ms', String(f.maxSingleMs), '--seed', String(f.seed), '--out', f.out],
    ...['--rounds', String(f.rounds)],
    ...(f.maxGmacs !== undefined ? ['--max-gmacs', String(f.maxGmacs)] : []),
    ...(f.merge ? ['--merge'] : []),
    ...['--run-id', runId],
  ];
}

/** Deploy mean ms per model and runtime, and what became of each runtime. */
function printStudy(json: boolean, runId: string, outcomes: readonly StudyOutcome[], out: string): void {
  if (json) {
    printJson({ runId, runtimes: outcomes.map((o) => ({ ...o, ...(o.file ? { file: path.join(out, o.file) } : {}) })) });
    return;
  }
  const ok = outcomes.filter((o) => o.status === 'ok');
  const models = [...new Set(ok.flatMap((o) => o.rows.map((r) => r.model)))];
  const header = ['model', ...ok.map((o) => `${o.id} ms`)];
  const cells = models.map((m) => [
    m,
    ...ok.map((o) => {
      const r = o.rows.find((x) => x.model === m && x.form === 'deploy');
      return r?.status === 'ok' ? fmt(r.meanMs) : r ? 'skipped' : '-';
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  const lines = [`study ${runId}: deploy form, mean ms of the timed calls`, line(header), ...cells.map(line)];
  for (const o of outcomes) lines.push(o.status === 'ok' ? `${o.id}: ${path.join(out, o.file!)}` : `${o.id}: failed (${o.reason})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `--runtimes`: every runtime in its own process under one run id. */
async function runStudyCommand(argv: readonly string[], f: Flags): Promise<void> {
  const clash = ['runtime', 'backend', 'threads', 'run-id'].filter((n) => given(argv, n));
  if (clash.length > 0) throw new UserError(`--runtimes sets each runtime's backend and threads; drop ${clash.map((n) => `--${n}`).join(', ')}`);
  const runtimes = parseRuntimes(f.runtimes!, machineInfo().cores);
  modelList(f.models); // a bad model list is one error here, not one per runtime
  const runId = newRunId();
  const command = ['vanillabench', 'latency', ...argv].join(' ');
  const outcomes = await runStudy(runtimes, studyFlags(f, runId), f.out, runId, command);
  printStudy(f.json, runId, outcomes, f.out);
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  checkOutputDir(f.out);
  if (f.runtimes !== undefined) return runStudyCommand(argv, f);
  const names = modelList(f.models);
  const forms: LatencyForm[] = f.form === 'both' ? ['deploy', 'train'] : [f.form];
  const onOrt = checkRuntimeFlags(f);
  const [ort, threads] = [onOrt ? await loadOrt() : null, f.threads ?? defaultOrtThreads()];

  const machine = machineInfo();
  const backend = await selectBackend(f.backend, { log: (l) => log(l), ...(!onOrt && f.threads !== undefined ? { wasmThreads: f.threads } : {}) });
  const runtime = ort ? ortRuntime(ort, threads) : undefined;
  const rowThreads = runtime ? threads : tfjsThreads(backend);
  // ONNX Runtime runs on the CPU: its file is named by the CPU, whatever tfjs backend built the weights
  const storeAs = runtime ? runtime.name : backend.name;
  const fileName = runtimeStoreName(runtime ? 'onnxruntime' : 'tfjs', backend.name, rowThreads);
  const mergeFile = path.join(f.out, latencyFileName(fileName, machine, runtime ? undefined : backend.adapter));
  const { runId, file, release } = chooseRunFile(mergeFile, f.merge, log, f.runId);
  try {
    await measureAll(f, names, forms, { ort, threads, rowThreads, runtime, backend, machine, storeAs, runId, file }, argv);
  } finally {
    release();
  }
}

interface RunTarget extends TimingRuntime {
  runtime: LatencyRuntime | undefined;
  backend: Awaited<ReturnType<typeof selectBackend>>;
  machine: ReturnType<typeof machineInfo>;
  storeAs: string;
  runId: string;
  file: string;
}

/** Times every model (--rounds passes), storing after each one (its own file, or merged under the file's lock), and prints the result. */
async function measureAll(f: Flags, names: string[], forms: LatencyForm[], t: RunTarget, argv: string[]): Promise<void> {
  const { ort, threads, rowThreads, runtime, backend, machine, storeAs, runId, file } = t;
  log(
    `latency: ${names.length} model(s) x ${forms.join('+')} at ${f.input}px, batch ${f.batch}, width ${f.width}; ` +
      (runtime
        ? `ONNX Runtime ${runtime.version} (cpu, ${threads} intra-op thread${threads === 1 ? '' : 's'}, opset ${runtime.opset}; weights built with tfjs ${backend.name})`
        : backendSummary(backend)),
  );

  const rows: BaseRow[] = [];
  // ONNX Runtime runs: the backend that ran is onnxruntime (tfjs only built the weights)
  const runLoad: LoadWindow = { before: load1(), after: load1() };
  const provenance = {
    ...runProvenance(['latency', ...argv], backend, f.seed),
    ...(runtime ? { backend: runtime.name, adapter: undefined } : {}),
    runId,
    load1: runLoad,
  };
  // --merge: this model's rows into the stored file as it is now; else every row so far into this run's own file
  const store = (modelRows: BaseRow[]) =>
    f.merge
      ? mergeIntoLatencyFile(file, storeAs, machine, provenance, modelRows, runtime)
      : writeLatencyFile(file, mergeLatency(null, storeAs, machine, provenance, rows, runtime));
  const progress: RunProgress = { msPerGmac: null, step: 0, round: 1, steps: names.length * forms.length * f.rounds, started: performance.now() };

  const byModel = new Map<string, BaseRow[]>();
  const xnn = watchXnnErrors();
  try {
    for (; progress.round <= f.rounds; progress.round++) {
      for (const name of names) {
        const modelRows = await timeModel(name, forms, f, { ort, threads, rowThreads, xnn }, progress, byModel.get(name) ?? []);
        if (progress.round === f.rounds) pairForms(name, modelRows);
        byModel.set(name, modelRows);
        rows.splice(0, rows.length, ...names.flatMap((n) => byModel.get(n) ?? []));
        if (tf.memory().numTensors > 0) log(`latency: note: ${tf.memory().numTensors} tensors alive after ${name}`);
        // stored after every model, so a killed or crashed run keeps what it measured
        runLoad.after = load1();
        store(modelRows);
      }
    }
  } finally {
    xnn.stop();
  }
  runLoad.after = load1();
  const stored = store([]);
  log(`latency: wrote ${stored.json} and ${stored.csv}`);

  printResult(f.json, names, rows, stored, { backend, runtime, provenance });
}
