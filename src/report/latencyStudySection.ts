/**
 * The report's latency study: every runtime of one measurement run side by side (a table, per runtime latency vs
 * top-1 and depth vs latency beside the paper's A100 figures, the claims' statistics of every runtime in two forest
 * plots), the threads each runtime ran on, and the deploy speed-up of Table 4's run.
 */
import type { ZooEntry } from '../models/zoo.js';
import { slug } from '../util/provenance.js';
import type { ChartMeta, Footnote } from './charts.js';
import { intervalText, onHardware, studyEvidence } from './latencyClaims.js';
import {
  depthVsLatencyChart,
  latencyVsTop1Chart,
  runtimeForestChart,
  speedupChart,
  verdictNote,
  type LatencyPoint,
  type RuntimeLatencyData,
} from './latencyCharts.js';
import { runtimeEvidence, type RuntimeEvidence } from './latencyEvidence.js';
import { describeRuntime, runKey, type LatencySelection, type LatencyStudy, type StudyMember } from './latencyStudy.js';
import { chartLink, f2, mdTable, renderChart, type PendingChart, type Section } from './markdown.js';
import { BUSY_LOAD_PER_CORE, underLoad } from '../results/latencyRun.js';

const isVanilla = (model: string) => model.startsWith('vanillanet');

/** Ours and the paper's A100 points of one runtime: every timed deploy row; the paper's for the same models. */
function points(
  m: StudyMember,
  other: (r: StudyMember['rows'][number]) => number | null,
  paperOther: (r: StudyMember['rows'][number]) => number,
): { ours: LatencyPoint[]; paper: LatencyPoint[] } {
  const rows = m.rows.filter((r) => r.form === 'deploy' && r.status === 'ok');
  return {
    ours: rows.flatMap((r) => {
      const o = other(r);
      return o === null ? [] : [{ model: r.model, ms: r.meanMs!, other: o, vanilla: isVanilla(r.model) }];
    }),
    paper: rows.filter((r) => r.paper).map((r) => ({ model: r.model, ms: r.paper!.latencyMs, other: paperOther(r), vanilla: isVanilla(r.model) })),
  };
}

function pairNote(e: RuntimeEvidence): Footnote {
  if (e.pairs.length === 0) return verdictNote('not tested', 'no similar-accuracy VanillaNet/ResNet pair timed.');
  return verdictNote(
    e.pairVerdict,
    `VanillaNet faster than a ResNet of similar top-1? VanillaNet/ResNet latency, ours (95% CI): ${e.pairs
      .map((p) => `${p.vanilla.name.replace('vanillanet', 'VN')}/${p.resnet.name.replace('resnet', 'RN')} ${intervalText(p.ours)}x`)
      .join(', ')}; paper A100: ${e.pairs.map((p) => `${f2(p.paper)}x`).join(', ')}. Below 1: VanillaNet faster.`,
  );
}

function depthNote(e: RuntimeEvidence): Footnote {
  if (!e.depth || !e.paperDepth) return verdictNote('not tested', 'fewer than 4 models of Table 4 timed.');
  const r = (i: { value: number; low: number; high: number }) => `${f2(i.value)} [${f2(i.low)}, ${f2(i.high)}]`;
  return verdictNote(
    e.depthVerdict,
    `latency grows with depth? Spearman ρ over ${e.depth.depth.n} models (95% bootstrap CI): ours ρ(depth) = ${r(e.depth.depth)}, ρ(GMACs) = ${r(e.depth.flops)}; ` +
      `paper A100 ρ(depth) = ${r(e.paperDepth.depth)}, ρ(FLOPs) = ${r(e.paperDepth.flops)}.`,
  );
}

/** ", under load (load average a-b)" when the run was measured on a busy machine, else nothing. */
function loadText(m: Pick<LatencySelection, 'data' | 'run' | 'rows'>): string {
  const l = m.data.runs[m.run]?.load1;
  const rt = describeRuntime(m.data, m.rows);
  // a software adapter computes on every core
  return underLoad(l, m.data.machine.cores, rt.threads ?? (rt.software ? m.data.machine.cores : 1))
    ? `, under load (load average ${l!.before}-${l!.after} on ${m.data.machine.cores} cores)`
    : '';
}

/** The two charts of one runtime. */
async function runtimeCharts(m: StudyMember, e: RuntimeEvidence, chartsDir: string): Promise<PendingChart[]> {
  const meta = (title: string): ChartMeta => ({
    title,
    // a software adapter's subtitle leaves the runtime to the title: its name is long, and what matters is that it is no GPU
    subtitle: `${m.runtime.hardware}${m.runtime.software ? ' (software adapter: plumbing, not a GPU)' : ` - ${m.runtime.label}`} - ${m.inputSize} px, batch ${m.batch} - run ${runKey(m.data, m.run)}${loadText(m)}`,
  });
  const id = slug(m.runtime.id);
  const top1 = points(
    m,
    (r) => r.paper?.top1 ?? null,
    (r) => r.paper!.top1,
  );
  const depth = points(
    m,
    (r) => r.depth,
    (r) => r.paper!.depth,
  );
  const data = (p: { ours: LatencyPoint[]; paper: LatencyPoint[] }, notes: Footnote[]): RuntimeLatencyData => ({ runtime: m.runtime.label, ...p, notes });
  const charts: PendingChart[] = [];
  if (top1.ours.length > 0)
    charts.push(
      await renderChart(chartsDir, `latency-vs-top1-${id}.png`, `Latency vs the paper's top-1: ${m.runtime.label}`, () =>
        latencyVsTop1Chart(data(top1, [pairNote(e)]), meta(`Latency vs ImageNet top-1: ${m.runtime.label}`)),
      ),
    );
  if (depth.ours.length > 0)
    charts.push(
      await renderChart(chartsDir, `depth-vs-latency-${id}.png`, `Depth vs latency: ${m.runtime.label}`, () =>
        depthVsLatencyChart(data(depth, [depthNote(e)]), meta(`Depth vs latency: ${m.runtime.label}`)),
      ),
    );
  return charts;
}

/** A runtime's name in the study, with its run where that is not the study's. */
const runtimeName = (study: LatencyStudy, m: StudyMember): string => {
  const key = runKey(m.data, m.run);
  return key === study.key ? m.runtime.label : `${m.runtime.label} (run ${key})`;
};

/** The claims' statistics of every runtime (and the paper's A100) side by side. */
async function forestCharts(study: LatencyStudy, evidence: Map<StudyMember, RuntimeEvidence>, chartsDir: string): Promise<PendingChart[]> {
  const entries = [...evidence.entries()];
  const mixed = entries.some(([m]) => runKey(m.data, m.run) !== study.key);
  const meta = (title: string): ChartMeta => ({
    title,
    subtitle: `${study.members[0].runtime.hardware} - ${study.inputSize} px, batch ${study.batch} - run ${study.key}${mixed ? ' (rows marked with another run: from that run)' : ''} - paper: A100, PyTorch`,
  });
  const label = (m: StudyMember) => runtimeName(study, m);
  const pairs = entries.find(([, e]) => e.pairs.length > 0)?.[1].pairs ?? [];
  const charts: PendingChart[] = [];
  if (pairs.length > 0) {
    const styles = ['circle', 'rect', 'triangle', 'rectRot'] as const;
    const rows = [
      ...entries.map(([m, e]) => ({
        label: label(m),
        verdict: e.pairVerdict,
        values: pairs.map((p) => e.pairs.find((q) => q.resnet.name === p.resnet.name)?.ours ?? null),
      })),
      { label: 'paper: A100, PyTorch', verdict: null, values: pairs.map((p) => ({ value: p.paper, low: Number.NaN, high: Number.NaN })) },
    ];
    charts.push(
      await renderChart(chartsDir, 'latency-ratio-by-runtime.png', 'VanillaNet / ResNet latency at similar accuracy, by runtime', () =>
        runtimeForestChart(
          {
            rows,
            markers: pairs.map((p, i) => ({ label: `${p.vanilla.name} / ${p.resnet.name}`, style: styles[i % styles.length] })),
            reference: { value: 1, text: '1 = equal latency (left of it: VanillaNet faster, as in the paper)' },
            log: true,
          },
          meta('VanillaNet / ResNet latency at similar ImageNet accuracy, by runtime'),
          'VanillaNet latency / ResNet latency (log scale), 95% CI',
          [
            {
              text: 'Pairs: each ResNet with the least accurate VanillaNet at least as accurate (paper top-1). Colour: the verdict of the runtime (every pair must be on one side of 1).',
            },
          ],
        ),
      ),
    );
  }
  const ranked = entries.filter(([, e]) => e.depth);
  if (ranked.length > 0) {
    const paper = ranked[0][1].paperDepth!;
    const rows = [
      ...ranked.map(([m, e]) => ({ label: `${label(m)}, ${e.depth!.depth.n} models`, verdict: e.depthVerdict, values: [e.depth!.depth, e.depth!.flops] })),
      { label: `paper: A100, PyTorch, ${paper.depth.n} models`, verdict: null, values: [paper.depth, paper.flops] },
    ];
    charts.push(
      await renderChart(chartsDir, 'depth-correlation-by-runtime.png', 'Rank correlation of latency with depth and FLOPs, by runtime', () =>
        runtimeForestChart(
          {
            rows,
            markers: [
              { label: 'ρ(latency, depth)', style: 'circle' },
              { label: 'ρ(latency, GMACs) (paper: GFLOPs)', style: 'rect' },
            ],
            reference: { value: 0, text: '0 = no rank correlation' },
            log: false,
            x: { min: -1, max: 1 },
          },
          meta('Does latency grow with depth? Rank correlation by runtime'),
          "Spearman's ρ over the models of Table 4 timed, 95% bootstrap CI over the models",
          [
            {
              text:
                `Each row: the models of Table 4 its run timed (${ranked[0][0].runtime.label}: ${ranked[0][1].depth!.models.join(', ')}); the paper's row: the same ${paper.depth.n}. ` +
                'Colour: the verdict on ρ(depth) (a CI above 0 reproduces the paper).',
            },
          ],
        ),
      ),
    );
  }
  return charts;
}

/** Which threads each runtime ran on, and whether tfjs-wasm's multi-threaded path was measured. */
function threadsNote(members: readonly StudyMember[]): string[] {
  const cores = members[0].data.machine.cores;
  const wasm = members.filter((m) => m.runtime.id === 'wasm' || m.runtime.id.startsWith('wasm-'));
  const threaded = wasm.filter((m) => (m.runtime.threads ?? 1) > 1);
  const lines = [
    `Threads are part of the result (the machine has ${cores} logical cores): ${members.map((m) => `${m.runtime.label}${m.runtime.threads === null ? ` (${m.runtime.hardware})` : ''}`).join('; ')}.`,
    "tfjs 4.22 runs tfjs-wasm's single-threaded build in Node: its multi-threaded build hands its pthread workers over as blob: URLs, which Node's worker_threads cannot load. " +
      '`latency --backend wasm --threads N` (`--runtimes wasm:N`) loads them from files instead (src/backend/wasmThreads.ts; same outputs as one thread, checked by test/backend/wasmThreads.test.ts). ' +
      (threaded.length > 0
        ? `This run measured it: ${threaded.map((m) => m.runtime.label).join(', ')}.`
        : 'This run has no multi-threaded tfjs-wasm measurement (`latency --runtimes wasm,wasm:2` adds one).') +
      ' ONNX Runtime runs the given intra-op threads (inter-op 1); tfjs-cpu computes on the JavaScript thread.',
  ];
  return lines;
}

/** The table of the study: deploy latency per model and runtime, beside the paper's A100 figure. */
function studyTable(study: LatencyStudy, members: readonly StudyMember[], zoo: readonly ZooEntry[]): string {
  const models = zoo.filter((z) => members.some((m) => m.rows.some((r) => r.model === z.name && r.form === 'deploy')));
  const cell = (m: StudyMember, model: string) => {
    const r = m.rows.find((x) => x.model === model && x.form === 'deploy');
    return !r ? '-' : r.status === 'ok' ? `${f2(r.meanMs)} ± ${f2(r.rmePct, 1)}%` : 'skipped';
  };
  return mdTable(
    ['model', 'depth', 'top-1 % (paper)', 'A100 ms (paper)', ...members.map((m) => `${runtimeName(study, m)} ms`)],
    models.map((z) => [z.name, String(z.depth), f2(z.paper?.top1), f2(z.paper?.latencyMs), ...members.map((m) => cell(m, z.name))]),
  );
}

/** The members of Table 4's run timed in both forms: the deploy speed-up chart. */
async function speedupSection(speedupRun: readonly LatencySelection[], zoo: readonly ZooEntry[], chartsDir: string): Promise<PendingChart[]> {
  const withBoth = speedupRun.map((s) => ({ s, e: runtimeEvidence(s, zoo, `${runKey(s.data, s.run)}:speedup`) })).filter((x) => x.e.speedups.length > 0);
  if (withBoth.length === 0) return [];
  const models = zoo.map((z) => z.name).filter((n) => withBoth.some((x) => x.e.speedups.some((s) => s.model === n)));
  const first = withBoth[0].s;
  const notes = withBoth.map(({ s, e }) =>
    verdictNote(e.speedupVerdict, `${describeRuntime(s.data, s.rows).label}: deploy form faster than the training form (every VanillaNet's CI above 1)?`),
  );
  return [
    await renderChart(chartsDir, 'deploy-speedup.png', 'Deploy speed-up: train form / deploy form latency', () =>
      speedupChart(
        models,
        withBoth.map(({ s, e }) => ({
          label: describeRuntime(s.data, s.rows).label,
          ratios: models.map((n) => e.speedups.find((x) => x.model === n)?.ratio ?? null),
        })),
        {
          title: 'Deploy speed-up from re-parameterization: train form / deploy form latency',
          subtitle: `${describeRuntime(first.data, first.rows).hardware} - ${first.inputSize} px, batch ${first.batch} - one run: ${runKey(first.data, first.run)}${loadText(first)} - train form at lambda = 1 (un-merged)`,
        },
        notes,
      ),
    ),
  ];
}

/**
 * "## Latency across runtimes": the study's table, threads, charts (with the runtimes it lacks from their own runs,
 * marked), and the deploy speed-up of Table 4's run.
 */
export async function latencyStudySection(
  study: LatencyStudy | null,
  extra: readonly StudyMember[],
  speedupRun: readonly LatencySelection[],
  zoo: readonly ZooEntry[],
  chartsDir: string,
): Promise<Section> {
  const charts: PendingChart[] = [];
  const md: string[] = [];
  if (study) {
    const members = [...study.members, ...extra];
    const evidence = studyEvidence(members, zoo);
    const loads = study.members.map((m) => m.data.runs[m.run]?.load1).filter((l) => l !== undefined);
    md.push('## Latency across runtimes', '');
    md.push(
      `One measurement run (${study.key}): \`${study.command}\`; ${study.inputSize} px, batch ${study.batch}${study.width !== 1 ? `, width ${study.width}` : ''}, deploy form; ` +
        `each runtime in its own process, one after the other, on ${study.members[0].runtime.hardware}` +
        `${loads.length > 0 ? `; 1-minute load average ${Math.min(...loads.map((l) => l!.before))}-${Math.max(...loads.map((l) => l!.after))} over the runtimes` : ''}. ` +
        'Cells: mean of the timed calls ± relative 95% margin of error. The verdicts of the Claims section are drawn in each chart.' +
        (extra.length > 0
          ? ` Runtimes the run lacks are shown from their own runs, marked with their run id: ${extra.map((m) => `${m.runtime.label} (run ${runKey(m.data, m.run)}: \`${m.data.runs[m.run]?.command ?? '?'}\`)`).join('; ')}.`
          : ''),
      '',
    );
    const busy = members.filter((m) => loadText(m) !== '');
    if (busy.length > 0) {
      md.push(
        `> Warning: measured under load (other work above ${BUSY_LOAD_PER_CORE} per core in the 1-minute load average at the run's end, beyond the runtime's own threads): ${busy.map((m) => `${runtimeName(study, m)}${loadText(m)}`).join('; ')}. ` +
          'Absolute figures are slower and noisier than on an idle machine, and a runtime on more threads competes with the load for the same cores, so thread counts compare poorly there.',
        '',
      );
    }
    md.push(...threadsNote(members).flatMap((l) => [l, '']));
    md.push(studyTable(study, members, zoo), '');
    for (const f of study.failed) {
      // a runtime that failed part-way stored the models it had timed (after each one): they are shown, and said so
      const partial = members.find((m) => m.runtime.id === f.id);
      const timed = partial ? new Set(partial.rows.filter((r) => r.status === 'ok').map((r) => r.model)).size : 0;
      md.push(
        timed > 0
          ? `- ${f.id}: failed part-way (${f.reason}); the ${timed} models it had timed are shown, the others are not`
          : `- ${f.id}: not measured (${f.reason})`,
      );
    }
    if (study.failed.length > 0) md.push('');
    for (const [m, e] of evidence) {
      const cs = await runtimeCharts(m, e, chartsDir);
      charts.push(...cs);
      const own = runKey(m.data, m.run) === study.key ? '' : ` (run ${runKey(m.data, m.run)})`;
      md.push(`### ${onHardware(m.runtime)}${own}`, '', ...cs.flatMap((c) => [chartLink(c), '']));
    }
    const forests = await forestCharts(study, evidence, chartsDir);
    charts.push(...forests);
    if (forests.length > 0) md.push('### The claims by runtime', '', ...forests.flatMap((c) => [chartLink(c), '']));
  }
  const speedup = await speedupSection(speedupRun, zoo, chartsDir);
  charts.push(...speedup);
  if (speedup.length > 0) md.push('### Deploy speed-up', '', ...speedup.flatMap((c) => [chartLink(c), '']));
  return { markdown: md, charts, claims: [] };
}
