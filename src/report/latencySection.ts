/**
 * The report's latency sections: Table 4 beside the paper, the latency charts, the other measurements (and
 * deploy latency by runtime), and the provenance of every latency file. Each returns a Section (./markdown.ts).
 */
import path from 'node:path';
import type { ZooEntry } from '../models/zoo.js';
import { deployVsTrainChart, depthVsLatencyChart, latencyVsTop1Chart, type ChartMeta } from './charts.js';
import { latencySubtitle, rowOf, runtimeLabel, type LatencySelection, type LoadedLatency } from './inputs.js';
import { latencyProvenance } from './latencyProvenance.js';
import { chartLink, f2, mdTable, renderChart, type PendingChart, type Section } from './markdown.js';

const section = (markdown: string[], charts: PendingChart[] = []): Section => ({ markdown, charts, claims: [] });

/** Table 4: our counts (and latency, when measured) beside the paper's. */
export function table4Section(zoo: readonly ZooEntry[], primary: LatencySelection | null): Section {
  const md = ['## Table 4 reproduced', ''];
  md.push(
    "Params (M) follow the paper's convention; GMACs and depth are the deploy form's at 224 px. Paper latency: A100, PyTorch, batch 1." +
      (primary ? ` Our latency: mean of the timed calls ± relative 95% margin of error, ${latencySubtitle(primary)}.` : ' Our latency: not measured yet.'),
    '',
  );
  md.push(
    mdTable(
      [
        'model',
        'params M (paper)',
        'params M (ours)',
        'GFLOPs (paper)',
        'GMACs (ours)',
        'depth (paper)',
        'depth (ours)',
        'A100 ms (paper, other hardware)',
        'deploy ms (ours)',
        'train ms (ours)',
        'train/deploy',
        'top-1 % (paper)',
      ],
      zoo.map((z) => {
        const d = rowOf(primary, z.name, 'deploy');
        const t = rowOf(primary, z.name, 'train');
        const skipped = primary?.rows.find((r) => r.model === z.name && r.form === 'deploy' && r.status === 'skipped');
        return [
          z.name,
          f2(z.paper?.paramsM, 1),
          f2(z.paramsM, 1),
          f2(z.paper?.gflops, 2),
          f2(z.gmacs, 2),
          z.paper ? String(z.paper.depth) : '-',
          String(z.depth),
          f2(z.paper?.latencyMs),
          d ? `${f2(d.meanMs)} ± ${f2(d.rmePct, 1)}%` : skipped ? 'skipped' : '-',
          t ? `${f2(t.meanMs)} ± ${f2(t.rmePct, 1)}%` : '-',
          d && t ? f2(t.meanMs! / d.meanMs!, 3) : '-',
          f2(z.paper?.top1),
        ];
      }),
    ),
    '',
  );
  if (primary) md.push(...latencyProvenance(primary).flatMap((l) => [l, '']));
  return section(md);
}

/** Latency vs the paper's top-1, depth vs latency, and deploy vs train form latency. */
export async function latencyChartsSection(primary: LatencySelection | null, chartsDir: string): Promise<Section> {
  if (!primary) return section([]);
  const meta = (title: string): ChartMeta => ({ title, subtitle: latencySubtitle(primary) });
  const deployRows = primary.rows.filter((r) => r.form === 'deploy' && r.status === 'ok');
  const withTop1 = deployRows.filter((r) => r.paper);
  const charts: PendingChart[] = [];
  if (withTop1.length > 0) {
    charts.push(
      await renderChart(chartsDir, 'latency-vs-top1.png', "Our latency vs the paper's top-1", () =>
        latencyVsTop1Chart(
          withTop1.map((r) => ({ model: r.model, latencyMs: r.meanMs!, top1: r.paper!.top1, vanilla: r.model.startsWith('vanillanet') })),
          meta("Our deploy latency vs the paper's ImageNet top-1"),
          `our measured batch-${primary.batch} latency, deploy form (ms)`,
        ),
      ),
    );
  }
  if (deployRows.length > 0) {
    charts.push(
      await renderChart(chartsDir, 'depth-vs-latency.png', 'Depth vs our latency', () =>
        depthVsLatencyChart(
          primary.rows
            .filter((r) => r.status === 'ok')
            .map((r) => ({
              model: r.model,
              depth: r.depth,
              latencyMs: r.meanMs!,
              series: `${r.model.startsWith('vanillanet') ? 'VanillaNet' : 'baselines'}, ${r.form} form`,
            })),
          meta('Depth vs measured latency'),
          `our measured batch-${primary.batch} latency (ms)`,
        ),
      ),
    );
  }
  const bothRows = deployRows.filter((r) => rowOf(primary, r.model, 'train'));
  if (bothRows.length > 0) {
    charts.push(
      await renderChart(chartsDir, 'deploy-vs-train.png', 'Deploy vs train form latency', () =>
        deployVsTrainChart(
          bothRows.map((d) => {
            const t = rowOf(primary, d.model, 'train')!;
            return {
              model: d.model,
              deployMs: d.meanMs!,
              trainMs: t.meanMs!,
              deployMoeMs: (d.meanMs! * (d.rmePct ?? 0)) / 100,
              trainMoeMs: (t.meanMs! * (t.rmePct ?? 0)) / 100,
            };
          }),
          meta('Deploy (merged) vs train form latency'),
        ),
      ),
    );
  }
  return section(charts.length > 0 ? ['### Latency charts', '', ...charts.flatMap((c) => [chartLink(c), ''])] : [], charts);
}

/** The latency settings and files Table 4 does not use, and deploy latency by runtime at Table 4's setting. */
export function otherLatencySection(zoo: readonly ZooEntry[], primary: LatencySelection | null, others: readonly LatencySelection[]): Section {
  if (others.length === 0) return section([]);
  const md = ['## Other latency measurements', ''];
  md.push(
    mdTable(
      ['file', 'backend', 'machine', 'input', 'batch', 'width', 'timed rows', 'skipped rows'],
      others.map((s) => [
        path.basename(s.file),
        s.data.runtime || s.data.adapter ? runtimeLabel(s.data) : s.data.backend,
        `${s.data.machine.cpuModel} (${s.data.machine.cores} cores)`,
        String(s.inputSize),
        String(s.batch),
        String(s.width),
        String(s.rows.filter((r) => r.status === 'ok').length),
        String(s.rows.filter((r) => r.status === 'skipped').length),
      ]),
    ),
    '',
  );
  // the same setting on another runtime: deploy latency side by side
  const beside = primary
    ? others.filter((s) => s.data.runtime && s.inputSize === primary.inputSize && s.batch === primary.batch && s.width === primary.width)
    : [];
  if (primary && beside.length > 0) {
    md.push(
      '### Deploy latency by runtime',
      '',
      `Mean ms of the timed calls at ${primary.inputSize} px, batch ${primary.batch}${primary.width !== 1 ? `, width ${primary.width}` : ''} (deploy form).`,
      '',
    );
    const models = zoo.map((z) => z.name).filter((n) => rowOf(primary, n, 'deploy') || beside.some((s) => rowOf(s, n, 'deploy')));
    md.push(
      mdTable(
        ['model', `${primary.data.backend} (${path.basename(primary.file)})`, ...beside.map((s) => `${runtimeLabel(s.data)} (${path.basename(s.file)})`)],
        models.map((n) => [n, f2(rowOf(primary, n, 'deploy')?.meanMs), ...beside.map((s) => f2(rowOf(s, n, 'deploy')?.meanMs))]),
      ),
      '',
    );
  }
  return section(md);
}

/** Which command, commit, runtime and machine made each latency file. */
export function provenanceSection(latency: readonly LoadedLatency[]): Section {
  if (latency.length === 0) return section([]);
  const md = ['## Provenance', ''];
  for (const { file, data } of latency) {
    for (const r of data.runs)
      md.push(
        `- \`${path.basename(file)}\`: \`${r.command}\` at ${r.date}, commit ${r.commit?.slice(0, 12) ?? 'unknown'}${r.dirty ? ' (uncommitted changes)' : ''}, ${data.runtime ? `${runtimeLabel(data)}, weights built with tfjs ${r.tfjsVersion}` : `${r.backend} (${r.kernels} kernels), tfjs ${r.tfjsVersion}`}, ${r.machine.cpuModel} x ${r.machine.cores}, node ${r.machine.node}`,
      );
  }
  md.push('');
  return section(md);
}
