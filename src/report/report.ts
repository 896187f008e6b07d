/**
 * Builds results/REPORT.md (and results/charts/*.png) from what is stored:
 *  - the zoo's counts, computed live (src/models/zoo.ts);
 *  - latency results, results/latency/*.json (src/results/latencyFile.ts);
 *  - ablation runs, results/ablation/<experiment>/runs.jsonl, read by the run store and analysed by
 *    src/ablation/analysis.ts, the same analysis summary.md formats (./ablationSection.ts);
 *
 * Everything is read and checked before anything is written: a corrupt file (bad JSON, wrong shape) is one
 * UserError naming it, and neither the charts nor REPORT.md are touched. What is missing is listed in the report.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spearman } from '../util/stats.js';
import { readLatencyFile, type LatencyFile, type LatencyRow } from '../results/latencyFile.js';
import { isTorchLatency, readTorchLatencyFile, type TorchLatencyFile } from '../results/torchLatency.js';
import { gpuLatencySection } from './gpu.js';
import { latencyProvenance } from './latencyProvenance.js';
import { writeFileAtomic } from '../util/atomic.js';
import { MODEL_NAMES, modelOptions, zooEntry, type ZooEntry } from '../models/zoo.js';
import type { Claim, ExperimentKind, Verdict } from '../ablation/verdicts.js';
import { ablationSection, readAblationDir, type AblationExperiment } from './ablationSection.js';
import { chartLink, f2, mdTable, renderChart, type PendingChart } from './markdown.js';
import { UserError } from '../util/errors.js';
import { gitCommit } from '../util/provenance.js';
import {
  deployVsTrainChart, depthVsLatencyChart, latencyVsTop1Chart, writeChart, type ChartMeta,
} from './charts.js';

// ---- inputs -----------------------------------------------------------------------------------------------------

export interface LoadedLatency {
  file: string;
  data: LatencyFile;
}

export interface ReportInputs {
  zoo: ZooEntry[];
  latency: LoadedLatency[];
  /** PyTorch peer figures on a GPU (results/latency/torch-<gpu>.json, scripts/torch_latency.py) */
  torch: { file: string; data: TorchLatencyFile }[];
  ablation: AblationExperiment[];
  missing: string[];
}

/** Whether a file holds the PyTorch peer's schema (read by readTorchLatencyFile, not readLatencyFile). */
function isTorchFile(file: string): boolean {
  try {
    return isTorchLatency(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return false; // readLatencyFile names the problem
  }
}

function readTorchPeers(dir: string): ReportInputs['torch'] {
  const d = path.join(dir, 'latency');
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()
    .map((f) => path.join(d, f)).filter(isTorchFile)
    .map((file) => ({ file, data: readTorchLatencyFile(file)! }));
}

function readLatencyDir(dir: string, missing: string[]): LoadedLatency[] {
  const d = path.join(dir, 'latency');
  if (!existsSync(d)) {
    missing.push(`no latency results (${d} does not exist): run \`vanillabench latency\``);
    return [];
  }
  const files = readdirSync(d).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  const out: LoadedLatency[] = [];
  for (const f of files) {
    const file = path.join(d, f);
    if (isTorchFile(file)) continue; // the PyTorch peer: readTorchPeers
    const data = readLatencyFile(file);
    if (data) out.push({ file, data });
  }
  if (out.length === 0) missing.push(`no latency results in ${d}: run \`vanillabench latency\``);
  return out;
}

/** The zoo at the paper's setting (224 px, width 1, 1000 classes), counted live. */
export function zooAtPaperSetting(): ZooEntry[] {
  return MODEL_NAMES.map((n) => zooEntry(n, modelOptions(n)));
}

/** Reads and checks everything the report uses; throws a UserError on a corrupt file (before anything is written). */
export function loadReportInputs(resultsDir: string): ReportInputs {
  const missing: string[] = [];
  if (!existsSync(resultsDir)) missing.push(`the results folder ${resultsDir} does not exist yet`);
  const latency = readLatencyDir(resultsDir, missing);
  const torch = readTorchPeers(resultsDir);
  const ablation = readAblationDir(resultsDir, missing);
  return { zoo: zooAtPaperSetting(), latency, torch, ablation, missing };
}

// ---- latency analysis -------------------------------------------------------------------------------------------

export interface LatencySelection {
  file: string;
  data: LatencyFile;
  inputSize: number;
  batch: number;
  width: number;
  rows: LatencyRow[];
}

/**
 * The measurements the report's Table 4 uses: over all files and (input, batch, width) settings, the one with the
 * most timed deploy rows, the paper's setting (224 px, batch 1, width 1) first.
 */
export function selectLatency(files: readonly LoadedLatency[]): { primary: LatencySelection | null; others: LatencySelection[] } {
  const all: LatencySelection[] = [];
  for (const { file, data } of files) {
    const groups = new Map<string, LatencyRow[]>();
    for (const r of data.rows) {
      const k = `${r.inputSize}|${r.batch}|${r.width}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rows] of groups) {
      const [inputSize, batch, width] = k.split('|').map(Number);
      all.push({ file, data, inputSize, batch, width, rows });
    }
  }
  const okDeploy = (s: LatencySelection) => s.rows.filter((r) => r.form === 'deploy' && r.status === 'ok').length;
  const paperSetting = (s: LatencySelection) => (s.inputSize === 224 && s.batch === 1 && s.width === 1 ? 1 : 0);
  // tfjs files first: they time both forms (ONNX Runtime files hold deploy forms only; they are shown beside them)
  const tfjs = (s: LatencySelection) => (s.data.runtime ? 0 : 1);
  all.sort((a, b) => paperSetting(b) - paperSetting(a) || tfjs(b) - tfjs(a) || okDeploy(b) - okDeploy(a) || b.rows.length - a.rows.length);
  const primary = all.find((s) => okDeploy(s) > 0) ?? all[0] ?? null;
  return { primary, others: all.filter((s) => s !== primary) };
}

function rowOf(sel: LatencySelection | null, model: string, form: 'deploy' | 'train'): LatencyRow | undefined {
  return sel?.rows.find((r) => r.model === model && r.form === form && r.status === 'ok');
}

/** Similar-accuracy pairs of the paper: each ResNet with the least accurate VanillaNet at least as accurate. */
export function similarAccuracyPairs(zoo: readonly ZooEntry[]): { resnet: ZooEntry; vanilla: ZooEntry }[] {
  const vanillas = zoo.filter((z) => /^vanillanet-\d+$/.test(z.name) && z.paper).sort((a, b) => a.paper!.top1 - b.paper!.top1);
  return zoo
    .filter((z) => z.name.startsWith('resnet') && z.paper)
    .flatMap((r) => {
      const v = vanillas.find((x) => x.paper!.top1 >= r.paper!.top1);
      return v ? [{ resnet: r, vanilla: v }] : [];
    });
}

/** Whether the 95% confidence intervals of two rows' mean latencies overlap. */
function ciOverlap(a: LatencyRow, b: LatencyRow): boolean {
  const moe = (r: LatencyRow) => (r.meanMs! * (r.rmePct ?? 0)) / 100;
  return Math.abs(a.meanMs! - b.meanMs!) <= moe(a) + moe(b);
}

export function latencyClaims(sel: LatencySelection | null, zoo: readonly ZooEntry[]): Claim[] {
  const claims: Claim[] = [];
  const deploy = sel ? sel.rows.filter((r) => r.form === 'deploy' && r.status === 'ok') : [];
  const setting = sel ? `${sel.data.backend} on ${sel.data.machine.cpuModel} (${sel.data.machine.cores} cores), ${sel.inputSize} px, batch ${sel.batch}` : '';

  // 1. depth vs FLOPs as a predictor of latency
  const c1 = 'Latency follows depth more than FLOPs (so a shallow network with more FLOPs can be faster)';
  if (deploy.length < 3) {
    claims.push({ id: 'depth-vs-flops', claim: c1, verdict: 'not tested', detail: `needs deploy latency of at least 3 models (have ${deploy.length})` });
  } else {
    const lat = deploy.map((r) => r.meanMs!);
    const rd = spearman(deploy.map((r) => r.depth), lat);
    const rg = spearman(deploy.map((r) => r.gmacs), lat);
    const withPaper = deploy.filter((r) => r.paper);
    const pd = withPaper.length >= 3 ? spearman(withPaper.map((r) => r.paper!.depth), withPaper.map((r) => r.paper!.latencyMs)) : Number.NaN;
    const pg = withPaper.length >= 3 ? spearman(withPaper.map((r) => r.paper!.gflops), withPaper.map((r) => r.paper!.latencyMs)) : Number.NaN;
    const same = spearman(deploy.map((r) => r.depth), deploy.map((r) => r.gmacs));
    const verdict: Verdict = !Number.isFinite(rd) || !Number.isFinite(rg) || rd === rg ? 'inconclusive' : rd > rg ? 'held' : 'did not hold';
    claims.push({
      id: 'depth-vs-flops',
      claim: c1,
      verdict,
      detail: `Spearman rank correlation over the ${deploy.length} models timed (${setting}): latency vs depth ρ = ${f2(rd, 3)}, `
        + `latency vs GMACs ρ = ${f2(rg, 3)}${same === 1 ? ' (depth and GMACs rank these models alike, so they cannot be told apart)' : ''}. `
        + `The paper's A100 figures for the ${withPaper.length} of them in its Table 4: ρ(depth) = ${f2(pd, 3)}, ρ(FLOPs) = ${f2(pg, 3)}.`,
    });
  }

  // 2. VanillaNet beats ResNets of similar paper accuracy
  const c2 = 'VanillaNet (deploy) is faster than a ResNet of similar ImageNet accuracy';
  const pairs = similarAccuracyPairs(zoo);
  const tested = pairs.flatMap(({ resnet, vanilla }) => {
    const r = rowOf(sel, resnet.name, 'deploy');
    const v = rowOf(sel, vanilla.name, 'deploy');
    return r && v ? [{ resnet, vanilla, r, v }] : [];
  });
  if (tested.length === 0) {
    claims.push({ id: 'vanilla-vs-resnet', claim: c2, verdict: 'not tested', detail: `no pair timed (pairs by paper top-1: ${pairs.map((p) => `${p.vanilla.name} vs ${p.resnet.name}`).join(', ')})` });
  } else {
    const wins = tested.filter((t) => t.v.meanMs! < t.r.meanMs!);
    claims.push({
      id: 'vanilla-vs-resnet',
      claim: c2,
      verdict: wins.length === tested.length ? 'held' : wins.length === 0 ? 'did not hold' : 'inconclusive',
      detail: `${wins.length} of ${tested.length} pairs (${setting}): ` + tested.map((t) =>
        `${t.vanilla.name} (paper ${t.vanilla.paper!.top1}%) ${f2(t.v.meanMs)} ms vs ${t.resnet.name} (paper ${t.resnet.paper!.top1}%) ${f2(t.r.meanMs)} ms`
        + ` = ${f2(t.v.meanMs! / t.r.meanMs!, 2)}x${ciOverlap(t.v, t.r) ? ' (95% CIs overlap)' : ''} (paper A100: ${t.vanilla.paper!.latencyMs} vs ${t.resnet.paper!.latencyMs} ms = ${f2(t.vanilla.paper!.latencyMs / t.resnet.paper!.latencyMs, 2)}x)`).join('; ') + '.',
    });
  }

  // 3. deploy form faster than the training form
  const c3 = 'The merged deploy form is faster than the training form (deep training pairs + series activation BN un-merged)';
  const both = (sel?.rows ?? []).filter((r) => r.form === 'deploy' && r.status === 'ok' && rowOf(sel, r.model, 'train'));
  if (both.length === 0) {
    claims.push({ id: 'deploy-vs-train', claim: c3, verdict: 'not tested', detail: 'no model timed in both forms (run `vanillabench latency --form both`)' });
  } else {
    const items = both.map((d) => {
      const t = rowOf(sel, d.model, 'train')!;
      return { model: d.model, ratio: t.meanMs! / d.meanMs!, separated: !ciOverlap(t, d), vanilla: d.model.startsWith('vanillanet') };
    });
    const vanilla = items.filter((i) => i.vanilla);
    const judged = vanilla.length > 0 ? vanilla : items;
    const faster = judged.filter((i) => i.ratio > 1);
    claims.push({
      id: 'deploy-vs-train',
      claim: c3,
      verdict: faster.length === judged.length ? 'held' : faster.length === 0 ? 'did not hold' : 'inconclusive',
      detail: `train/deploy mean latency: ` + items.map((i) => `${i.model} ${f2(i.ratio, 3)}x${i.separated ? '' : ' (95% CIs overlap)'}`).join(', ')
        + `${vanilla.length > 0 && vanilla.length < items.length ? ' (verdict on the VanillaNet models; the baselines have no pairs to merge, only BN)' : ''}.`,
    });
  }
  return claims;
}

// ---- rendering --------------------------------------------------------------------------------------------------

/** What ran a latency file: the tfjs backend (and kernels, version), or ONNX Runtime (version, threads). */
function runtimeLabel(data: LatencyFile): string {
  if (data.runtime) return `ONNX Runtime ${data.runtime.version} (${data.runtime.executionProvider}, ${data.runtime.threads} threads)`;
  const run = data.runs[data.runs.length - 1];
  return `backend ${data.backend}${run ? ` (${run.kernels === 'ours' ? 'our' : 'stock'} kernels), tfjs ${run.tfjsVersion}` : ''}`;
}

function latencySubtitle(sel: LatencySelection): string {
  const m = sel.data.machine;
  return `${m.cpuModel}, ${m.cores} cores, ${m.platform} - ${runtimeLabel(sel.data)}`
    + ` - input ${sel.inputSize} px, batch ${sel.batch}${sel.width !== 1 ? `, width ${sel.width}` : ''}`;
}

const VERDICT_MARK: Record<Verdict, string> = {
  held: 'HELD', 'did not hold': 'DID NOT HOLD', inconclusive: 'INCONCLUSIVE', 'not tested': 'NOT TESTED',
  reproduced: 'REPRODUCED', 'opposite at this scale': 'OPPOSITE AT THIS SCALE', 'untestable at this budget': 'UNTESTABLE AT THIS BUDGET',
  'clear effect': 'CLEAR EFFECT', 'no clear effect': 'NO CLEAR EFFECT',
};

export interface ReportResult {
  report: string;
  charts: string[];
  missing: string[];
  claims: Claim[];
  latency: { file: string; inputSize: number; batch: number; width: number; timed: number } | null;
  ablation: { experiment: string; kind: ExperimentKind; records: number; cells: number }[];
}

export interface ReportOptions {
  resultsDir: string;
  log?: (line: string) => void;
  /** for tests: a fixed date */
  now?: Date;
}

/** Reads the results folder, renders the charts, writes them and REPORT.md (all atomically, after all reading). */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const log = opts.log ?? (() => {});
  const dir = opts.resultsDir;
  const inputs = loadReportInputs(dir); // throws before anything is written
  const missing = [...inputs.missing];
  const chartsDir = path.join(dir, 'charts');
  const charts: PendingChart[] = [];
  const md: string[] = [];
  const claims: Claim[] = [];
  const addChart = async (name: string, title: string, render: () => Promise<Buffer>): Promise<PendingChart> => {
    const c = await renderChart(chartsDir, name, title, render);
    charts.push(c);
    return c;
  };

  const { primary, others } = selectLatency(inputs.latency);
  const zoo = inputs.zoo;

  md.push('# VanillaNet reproduction report', '');
  md.push(`Generated ${(opts.now ?? new Date()).toISOString()} by \`vanillabench report\` from \`${dir}\`${gitCommit() ? ` (commit ${gitCommit()!.slice(0, 12)})` : ''}.`);
  md.push('Paper: VanillaNet: the Power of Minimalism in Deep Learning (Chen et al., 2023). Our counts come from the model zoo (computed now); measurements from the files listed below.', '');

  // --- what is missing
  md.push('## What is here and what is missing', '');
  md.push(`- Model zoo: ${zoo.length} models counted at the paper's setting (224 px, width 1, 1000 classes).`);
  md.push(primary
    ? `- Latency: ${inputs.latency.length} file(s); Table 4 below uses \`${primary.file}\` at ${primary.inputSize} px, batch ${primary.batch}, width ${primary.width}.`
    : '- Latency: none.');
  md.push(inputs.ablation.length > 0
    ? `- Ablations: ${inputs.ablation.map((e) => `${e.name} (${e.summary.records} runs)`).join(', ')}.`
    : '- Ablations: none.');
  if (primary && (primary.inputSize !== 224 || primary.batch !== 1 || primary.width !== 1)) {
    missing.push(`no latency at the paper's setting (224 px, batch 1, width 1): the latency columns use ${primary.inputSize} px, batch ${primary.batch}, width ${primary.width}`);
  }
  if (primary) {
    const untimed = zoo.filter((z) => !rowOf(primary, z.name, 'deploy'));
    if (untimed.length > 0) missing.push(`deploy latency not measured for: ${untimed.map((z) => z.name).join(', ')}`);
    for (const r of primary.rows.filter((x) => x.status === 'skipped')) missing.push(`latency skipped for ${r.model} (${r.form}): ${r.reason}`);
  }
  if (missing.length > 0) md.push('', 'Missing:', '', ...missing.map((m) => `- ${m}`));
  md.push('');

  // --- Table 4
  md.push('## Table 4 reproduced', '');
  md.push('Params (M) follow the paper\'s convention; GMACs and depth are the deploy form\'s at 224 px. Paper latency: A100, PyTorch, batch 1.'
    + (primary ? ` Our latency: mean of the timed calls ± relative 95% margin of error, ${latencySubtitle(primary)}.` : ' Our latency: not measured yet.'), '');
  md.push(mdTable(
    ['model', 'params M (paper)', 'params M (ours)', 'GFLOPs (paper)', 'GMACs (ours)', 'depth (paper)', 'depth (ours)', 'A100 ms (paper)', 'deploy ms (ours)', 'train ms (ours)', 'train/deploy', 'top-1 % (paper)'],
    zoo.map((z) => {
      const d = rowOf(primary, z.name, 'deploy');
      const t = rowOf(primary, z.name, 'train');
      const skipped = primary?.rows.find((r) => r.model === z.name && r.form === 'deploy' && r.status === 'skipped');
      return [
        z.name, f2(z.paper?.paramsM, 1), f2(z.paramsM, 1), f2(z.paper?.gflops, 2), f2(z.gmacs, 2), z.paper ? String(z.paper.depth) : '-', String(z.depth),
        f2(z.paper?.latencyMs), d ? `${f2(d.meanMs)} ± ${f2(d.rmePct, 1)}%` : skipped ? 'skipped' : '-', t ? `${f2(t.meanMs)} ± ${f2(t.rmePct, 1)}%` : '-',
        d && t ? f2(t.meanMs! / d.meanMs!, 3) : '-', f2(z.paper?.top1),
      ];
    }),
  ), '');
  if (primary) md.push(...latencyProvenance(primary).flatMap((l) => [l, '']));

  // --- latency charts
  if (primary) {
    const meta = (title: string): ChartMeta => ({ title, subtitle: latencySubtitle(primary) });
    const deployRows = primary.rows.filter((r) => r.form === 'deploy' && r.status === 'ok');
    const withTop1 = deployRows.filter((r) => r.paper);
    const made: PendingChart[] = [];
    if (withTop1.length > 0) {
      made.push(await addChart('latency-vs-top1.png', 'Our latency vs the paper\'s top-1', () => latencyVsTop1Chart(
        withTop1.map((r) => ({ model: r.model, latencyMs: r.meanMs!, top1: r.paper!.top1, vanilla: r.model.startsWith('vanillanet') })),
        meta('Our deploy latency vs the paper\'s ImageNet top-1'),
        `our measured batch-${primary.batch} latency, deploy form (ms)`,
      )));
    }
    if (deployRows.length > 0) {
      made.push(await addChart('depth-vs-latency.png', 'Depth vs our latency', () => depthVsLatencyChart(
        primary.rows.filter((r) => r.status === 'ok').map((r) => ({
          model: r.model, depth: r.depth, latencyMs: r.meanMs!,
          series: `${r.model.startsWith('vanillanet') ? 'VanillaNet' : 'baselines'}, ${r.form} form`,
        })),
        meta('Depth vs measured latency'),
        `our measured batch-${primary.batch} latency (ms)`,
      )));
    }
    const bothRows = deployRows.filter((r) => rowOf(primary, r.model, 'train'));
    if (bothRows.length > 0) {
      made.push(await addChart('deploy-vs-train.png', 'Deploy vs train form latency', () => deployVsTrainChart(
        bothRows.map((d) => {
          const t = rowOf(primary, d.model, 'train')!;
          return { model: d.model, deployMs: d.meanMs!, trainMs: t.meanMs!, deployMoeMs: (d.meanMs! * (d.rmePct ?? 0)) / 100, trainMoeMs: (t.meanMs! * (t.rmePct ?? 0)) / 100 };
        }),
        meta('Deploy (merged) vs train form latency'),
      )));
    }
    if (made.length > 0) md.push('### Latency charts', '', ...made.flatMap((c) => [chartLink(c), '']));
  }

  // --- our GPU latency beside PyTorch's on the same card and the paper's A100
  md.push(...gpuLatencySection(inputs, zoo));

  // --- claims
  const lc = latencyClaims(primary, zoo);
  claims.push(...lc);

  // --- ablations
  const ablation = await ablationSection(inputs.ablation, chartsDir);
  charts.push(...ablation.charts);
  claims.push(...ablation.claims);
  const ablationMd = ablation.markdown;

  md.push('## Claims on this machine', '');
  md.push('Each claim of the paper we can test here, with the verdict and the numbers. Ablation verdicts are those of each experiment\'s summary.md (one analysis): our small-scale runs, differences paired by seed with 95% CIs, behind a convergence gate; each names the scale it was measured at, not ImageNet.', '');
  for (const c of claims) md.push(`- **${VERDICT_MARK[c.verdict]}**: ${c.claim}. ${c.detail}`);
  const count = (v: Verdict) => claims.filter((c) => c.verdict === v).length;
  const tally = (Object.keys(VERDICT_MARK) as Verdict[]).filter((v) => count(v) > 0 || ['held', 'did not hold', 'inconclusive', 'not tested'].includes(v)).map((v) => `${count(v)} ${v}`);
  md.push('', `In short: ${tally.join(', ')}.`, '');

  md.push('## Ablations', '');
  if (ablationMd.length > 0) md.push(...ablationMd);
  else md.push('No ablation results yet (expected under `ablation/<experiment>/runs.jsonl`).', '');

  if (others.length > 0) {
    md.push('## Other latency measurements', '');
    md.push(mdTable(['file', 'backend', 'machine', 'input', 'batch', 'width', 'timed rows', 'skipped rows'], others.map((s) => [
      path.basename(s.file), s.data.runtime ? runtimeLabel(s.data) : s.data.backend, `${s.data.machine.cpuModel} (${s.data.machine.cores} cores)`, String(s.inputSize), String(s.batch), String(s.width),
      String(s.rows.filter((r) => r.status === 'ok').length), String(s.rows.filter((r) => r.status === 'skipped').length),
    ])), '');
    // the same setting on another runtime: deploy latency side by side
    const beside = primary ? others.filter((s) => s.data.runtime && s.inputSize === primary.inputSize && s.batch === primary.batch && s.width === primary.width) : [];
    if (primary && beside.length > 0) {
      md.push('### Deploy latency by runtime', '', `Mean ms of the timed calls at ${primary.inputSize} px, batch ${primary.batch}${primary.width !== 1 ? `, width ${primary.width}` : ''} (deploy form).`, '');
      const models = zoo.map((z) => z.name).filter((n) => rowOf(primary, n, 'deploy') || beside.some((s) => rowOf(s, n, 'deploy')));
      md.push(mdTable(['model', `${primary.data.backend} (${path.basename(primary.file)})`, ...beside.map((s) => `${runtimeLabel(s.data)} (${path.basename(s.file)})`)],
        models.map((n) => [n, f2(rowOf(primary, n, 'deploy')?.meanMs), ...beside.map((s) => f2(rowOf(s, n, 'deploy')?.meanMs))])), '');
    }
  }

  if (inputs.latency.length > 0) {
    md.push('## Provenance', '');
    for (const { file, data } of inputs.latency) {
      for (const r of data.runs) md.push(`- \`${path.basename(file)}\`: \`${r.command}\` at ${r.date}, commit ${r.commit?.slice(0, 12) ?? 'unknown'}${r.dirty ? ' (uncommitted changes)' : ''}, ${data.runtime ? `${runtimeLabel(data)}, weights built with tfjs ${r.tfjsVersion}` : `${r.backend} (${r.kernels} kernels), tfjs ${r.tfjsVersion}`}, ${r.machine.cpuModel} x ${r.machine.cores}, node ${r.machine.node}`);
    }
    md.push('');
  }

  // --- write: charts first, the report last (it links them)
  mkdirSync(dir, { recursive: true });
  for (const c of charts) {
    writeChart(c.file, c.png);
    log(`report: wrote ${c.file}`);
  }
  const report = path.join(dir, 'REPORT.md');
  writeFileAtomic(report, `${md.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
  log(`report: wrote ${report}`);
  return {
    report,
    charts: charts.map((c) => c.file),
    missing,
    claims,
    latency: primary ? { file: primary.file, inputSize: primary.inputSize, batch: primary.batch, width: primary.width, timed: primary.rows.filter((r) => r.status === 'ok').length } : null,
    ablation: ablation.experiments,
  };
}
