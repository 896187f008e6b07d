/**
 * The report's latency sections: Table 4 beside the paper (one run), the other runs, and the provenance of every
 * latency file. The study across runtimes is ./latencyStudySection.ts. Each returns a Section (./markdown.ts).
 */
import path from 'node:path';
import type { ZooEntry } from '../models/zoo.js';
import { latencySubtitle, rowOf, runtimeLabel, type LatencySelection, type LoadedLatency } from './inputs.js';
import { latencyProvenance } from './latencyProvenance.js';
import { describeRuntime, runKey } from './latencyStudy.js';
import { f2, mdTable, type Section } from './markdown.js';

const section = (markdown: string[]): Section => ({ markdown, charts: [], claims: [] });

/** Models Table 4's run lacks that another run timed (at the same setting): where they are, not mixed in. */
function elsewhere(zoo: readonly ZooEntry[], primary: LatencySelection, others: readonly LatencySelection[]): string[] {
  const same = others.filter(
    (s) => (s.file !== primary.file || s.run !== primary.run) && s.inputSize === primary.inputSize && s.batch === primary.batch && s.width === primary.width,
  );
  return zoo.flatMap((z) => {
    if (rowOf(primary, z.name, 'deploy')) return [];
    const where = same.filter((s) => rowOf(s, z.name, 'deploy'));
    if (where.length === 0) return [];
    const runs = where.map(
      (s) =>
        `run ${runKey(s.data, s.run)} of \`${path.basename(s.file)}\` (${describeRuntime(s.data, s.rows).label}: ${f2(rowOf(s, z.name, 'deploy')!.meanMs)} ms)`,
    );
    return [`- ${z.name}: not in this run; timed in ${runs.join(', ')}; not shown here, as it was not measured under the same conditions.`];
  });
}

/** Table 4: our counts (and latency from one run, when measured) beside the paper's. */
export function table4Section(zoo: readonly ZooEntry[], primary: LatencySelection | null, others: readonly LatencySelection[] = []): Section {
  const md = ['## Table 4 reproduced', ''];
  md.push(
    "Params (M) follow the paper's convention; GMACs and depth are the deploy form's at 224 px. Paper latency: A100, PyTorch, batch 1." +
      (primary
        ? ` Our latency: mean of the timed calls ± relative 95% margin of error, one run: ${latencySubtitle(primary)}.`
        : ' Our latency: not measured yet.'),
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
  if (primary) {
    md.push(...latencyProvenance(primary).flatMap((l) => [l, '']));
    const rest = elsewhere(zoo, primary, others);
    if (rest.length > 0) md.push('Models of other runs:', '', ...rest, '');
  }
  return section(md);
}

/** The latency runs the report's figures do not use (other settings, other runs). */
export function otherLatencySection(others: readonly LatencySelection[]): Section {
  if (others.length === 0) return section([]);
  const md = ['## Other latency measurements', ''];
  md.push('Runs not drawn in the figures above (each figure uses one run); their rows are in the files.', '');
  md.push(
    mdTable(
      ['file', 'run', 'runtime', 'hardware', 'input', 'batch', 'width', 'timed rows', 'skipped rows'],
      others.map((s) => {
        const rt = describeRuntime(s.data, s.rows);
        return [
          path.basename(s.file),
          runKey(s.data, s.run),
          rt.label,
          rt.hardware,
          String(s.inputSize),
          String(s.batch),
          String(s.width),
          String(s.rows.filter((r) => r.status === 'ok').length),
          String(s.rows.filter((r) => r.status === 'skipped').length),
        ];
      }),
    ),
    '',
  );
  return section(md);
}

/** Which command, commit, runtime and machine made each latency file. */
export function provenanceSection(latency: readonly LoadedLatency[]): Section {
  if (latency.length === 0) return section([]);
  const md = ['## Provenance', ''];
  for (const { file, data } of latency) {
    for (const r of data.runs) {
      const load = r.load1 ? `, 1-minute load average ${r.load1.before} before and ${r.load1.after} after` : '';
      md.push(
        `- \`${path.basename(file)}\`${r.runId ? `, run ${r.runId}` : ''}: \`${r.command}\` at ${r.date}, commit ${r.commit?.slice(0, 12) ?? 'unknown'}${r.dirty ? ' (uncommitted changes)' : ''}, ${data.runtime ? `${runtimeLabel(data)}, weights built with tfjs ${r.tfjsVersion}` : `${r.backend} (${r.kernels} kernels), tfjs ${r.tfjsVersion}`}, ${r.machine.cpuModel} x ${r.machine.cores}, node ${r.machine.node}${load}${r.study ? `; part of the study \`${r.study.command}\`` : ''}`,
      );
    }
  }
  md.push('');
  return section(md);
}
