/**
 * Which measurement run each latency figure of the report is drawn from. Every figure and table comes from ONE run
 * (rows of other runs are never mixed in, even when a file holds several); runs that share a run id (a study:
 * `latency --runtimes`) are one run over several runtimes.
 *  - the study: the run at the paper's setting (224 px, batch 1, width 1, else any) that timed the most runtimes,
 *    then one with tfjs-wasm on one thread (the reference runtime), then the most deploy rows, then the latest: the
 *    latency-by-runtime charts and the claims per runtime;
 *  - runtimes the study lacks: each from its own run at the study's setting, beside the study and marked with its run;
 *  - Table 4's run: tfjs-wasm on one thread (the suite's reference runtime) at the paper's setting with the most
 *    models timed in both forms (Table 4 has both), then the most deploy rows (a member of the study wins ties):
 *    Table 4 and the deploy speed-up chart.
 */
import type { LatencyFile, LatencyRow, StudyEntry } from '../results/latencyFile.js';

export interface LatencySelection {
  file: string;
  data: LatencyFile;
  inputSize: number;
  batch: number;
  width: number;
  /** the rows of one run (index into data.runs) at this setting */
  rows: LatencyRow[];
  run: number;
}

/** What ran a selection's rows, as the report names it. */
export interface RuntimeInfo {
  /** as in file names: wasm, wasm-2t, cpu, webgpu, tensorflow, onnxruntime-2t */
  id: string;
  /** e.g. "tfjs-wasm, 1 thread", "ONNX Runtime 1.30.0 (CPU), 2 threads", "tfjs-webgpu" */
  label: string;
  /** the threads it computed on; null where the runtime has none of its own (webgpu, tfjs-node) */
  threads: number | null;
  /** what computed: the CPU (model, cores) or the GPU */
  hardware: string;
  /** a software GPU adapter (SwiftShader, llvmpipe): plumbing, not a GPU measurement */
  software: boolean;
}

export interface StudyMember extends LatencySelection {
  runtime: RuntimeInfo;
}

export interface LatencyStudy {
  /** the run id (or, for runs stored before run ids, the run's date) */
  key: string;
  inputSize: number;
  batch: number;
  width: number;
  members: StudyMember[];
  /** runtimes the study asked for that could not run, with why */
  failed: StudyEntry[];
  /** the command that ran the study (`latency --runtimes ...`), or the one run's command */
  command: string;
}

const ok = (r: LatencyRow) => r.status === 'ok';
const okDeploy = (s: LatencySelection) => s.rows.filter((r) => r.form === 'deploy' && ok(r)).length;
const bothForms = (s: LatencySelection) =>
  s.rows.filter((r) => r.form === 'deploy' && ok(r) && s.rows.some((t) => t.model === r.model && t.form === 'train' && ok(t))).length;
const paperSetting = (s: { inputSize: number; batch: number; width: number }) => s.inputSize === 224 && s.batch === 1 && s.width === 1;

/** The run's id (or date), the key that joins the files of one study. */
export function runKey(data: LatencyFile, run: number): string {
  const r = data.runs[run];
  return r?.runId ?? r?.date ?? `run ${run}`;
}

/** The threads of a selection's rows (the runtime's own count when the rows predate per-row threads). */
function threadsOf(data: LatencyFile, rows: readonly LatencyRow[]): number | null {
  const t = rows.find((r) => ok(r) && r.threads !== undefined)?.threads;
  if (t !== undefined) return t;
  if (data.runtime) return data.runtime.threads;
  // tfjs-wasm ran its single-threaded build in Node before --threads; the cpu backend is plain JS on one thread
  return data.backend === 'wasm' || data.backend === 'cpu' ? 1 : null;
}

export function describeRuntime(data: LatencyFile, rows: readonly LatencyRow[]): RuntimeInfo {
  const threads = threadsOf(data, rows);
  const t = threads === null ? '' : `, ${threads} thread${threads === 1 ? '' : 's'}`;
  const hardware = data.adapter ? data.adapter.name : `${data.machine.cpuModel}, ${data.machine.cores} cores`;
  const software = data.adapter?.software ?? false;
  if (data.runtime) return { id: `onnxruntime-${threads}t`, label: `ONNX Runtime ${data.runtime.version} (CPU)${t}`, threads, hardware, software };
  const id = data.backend === 'wasm' && threads !== null && threads > 1 ? `wasm-${threads}t` : data.backend;
  const name = data.backend === 'tensorflow' ? 'tfjs-node (libtensorflow)' : `tfjs-${data.backend}`;
  return { id, label: `${name}${software ? ' (software GPU)' : ''}${t}`, threads, hardware, software };
}

/** Every (file, run, setting) with its rows: the units a figure may be drawn from. */
export function runSelections(files: readonly { file: string; data: LatencyFile }[]): LatencySelection[] {
  const all: LatencySelection[] = [];
  for (const { file, data } of files) {
    const groups = new Map<string, LatencyRow[]>();
    for (const r of data.rows) {
      const k = `${r.run}|${r.inputSize}|${r.batch}|${r.width}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rows] of groups) {
      const [run, inputSize, batch, width] = k.split('|').map(Number);
      all.push({ file, data, inputSize, batch, width, rows, run });
    }
  }
  return all;
}

const dateOf = (s: LatencySelection) => s.data.runs[s.run]?.date ?? '';

/** The runs joined by run id and setting into studies (a run of one runtime is a study of one). */
export function groupStudies(selections: readonly LatencySelection[]): LatencyStudy[] {
  const byKey = new Map<string, LatencySelection[]>();
  for (const s of selections) {
    const k = `${runKey(s.data, s.run)}|${s.inputSize}|${s.batch}|${s.width}`;
    byKey.set(k, [...(byKey.get(k) ?? []), s]);
  }
  return [...byKey.values()].map((sels) => {
    const first = sels[0];
    const provenance = sels.map((s) => s.data.runs[s.run]).find((r) => r?.study) ?? first.data.runs[first.run];
    const members = sels.map((s) => ({ ...s, runtime: describeRuntime(s.data, s.rows) }));
    const order = provenance?.study?.runtimes.map((r) => r.id) ?? [];
    members.sort((a, b) => (order.indexOf(a.runtime.id) + 1 || 1e9) - (order.indexOf(b.runtime.id) + 1 || 1e9) || a.runtime.id.localeCompare(b.runtime.id));
    return {
      key: runKey(first.data, first.run),
      inputSize: first.inputSize,
      batch: first.batch,
      width: first.width,
      members,
      failed: provenance?.study?.runtimes.filter((r) => r.status === 'failed') ?? [],
      command: provenance?.study?.command ?? provenance?.command ?? '?',
    };
  });
}

/** The study the runtime charts and claims use (see the module comment), or null when nothing was timed. */
export function chooseStudy(studies: readonly LatencyStudy[]): LatencyStudy | null {
  const timed = (s: LatencyStudy) => s.members.filter((m) => okDeploy(m) > 0).length;
  const rows = (s: LatencyStudy) => s.members.reduce((n, m) => n + okDeploy(m), 0);
  const date = (s: LatencyStudy) => s.members.map(dateOf).sort().pop() ?? '';
  const reference = (s: LatencyStudy) => Number(s.members.some((m) => m.runtime.id === 'wasm' && okDeploy(m) > 0));
  const ranked = studies
    .filter((s) => timed(s) > 0)
    .sort(
      (a, b) =>
        Number(paperSetting(b)) - Number(paperSetting(a)) ||
        timed(b) - timed(a) ||
        reference(b) - reference(a) ||
        rows(b) - rows(a) ||
        date(b).localeCompare(date(a)),
    );
  return ranked[0] ?? null;
}

/**
 * Runtimes the study lacks, from their own runs at the study's setting (e.g. a runtime too slow to share the study's
 * call): per runtime, the run with the most deploy rows, then the latest. Shown beside the study, marked with their run.
 */
export function otherRuntimeRuns(selections: readonly LatencySelection[], study: LatencyStudy | null): StudyMember[] {
  if (!study) return [];
  const have = new Set(study.members.map((m) => m.runtime.id));
  const best = new Map<string, StudyMember>();
  for (const s of selections) {
    if (s.inputSize !== study.inputSize || s.batch !== study.batch || s.width !== study.width || okDeploy(s) === 0) continue;
    const m = { ...s, runtime: describeRuntime(s.data, s.rows) };
    if (have.has(m.runtime.id)) continue;
    const prev = best.get(m.runtime.id);
    if (!prev || okDeploy(m) > okDeploy(prev) || (okDeploy(m) === okDeploy(prev) && dateOf(m) > dateOf(prev))) best.set(m.runtime.id, m);
  }
  return [...best.values()].sort((a, b) => a.runtime.id.localeCompare(b.runtime.id));
}

/** Table 4's run (see the module comment): preferably tfjs-wasm on one thread. */
export function choosePrimary(selections: readonly LatencySelection[], study: LatencyStudy | null): LatencySelection | null {
  const inStudy = (s: LatencySelection) => study?.members.some((m) => m.file === s.file && m.run === s.run && m.inputSize === s.inputSize) ?? false;
  const reference = (s: LatencySelection) => {
    const rt = describeRuntime(s.data, s.rows);
    return rt.id === 'wasm' ? 2 : s.data.runtime ? 0 : 1;
  };
  // a software adapter (webgpu on a CPU implementation of Vulkan) times the plumbing, not a device: never primary
  // while anything else was measured
  const device = (s: LatencySelection) => (s.data.adapter?.software ? 0 : 1);
  const ranked = [...selections].sort(
    (a, b) =>
      device(b) - device(a) ||
      Number(paperSetting(b)) - Number(paperSetting(a)) ||
      reference(b) - reference(a) ||
      bothForms(b) - bothForms(a) ||
      okDeploy(b) - okDeploy(a) ||
      Number(inStudy(b)) - Number(inStudy(a)) ||
      dateOf(b).localeCompare(dateOf(a)),
  );
  return ranked.find((s) => okDeploy(s) > 0) ?? ranked[0] ?? null;
}
