/**
 * Where a latency table's rows come from: the file, the run(s) (run id, or the date for runs stored before run ids),
 * and warnings when one table mixes measurement runs or holds rows measured on a busy machine.
 */
import path from 'node:path';
import type { LatencyFile, LatencyRow } from '../results/latencyFile.js';
import { BUSY_LOAD_PER_CORE, underLoad } from '../results/latencyRun.js';
import { describeRuntime } from './latencyStudy.js';

export interface LatencyRowsSource {
  file: string;
  data: LatencyFile;
  rows: LatencyRow[];
}

/** Markdown lines (one paragraph per point) to print under a latency table built from `sel.rows`. */
export function latencyProvenance(sel: LatencyRowsSource): string[] {
  const used = [...new Set(sel.rows.filter((r) => r.status === 'ok').map((r) => r.run))].sort((a, b) => a - b);
  const name = (i: number): string => {
    const run = sel.data.runs[i];
    return run?.runId ?? run?.date ?? `run ${i}`;
  };
  const count = (i: number) => sel.rows.filter((r) => r.status === 'ok' && r.run === i).length;
  const lines = [
    `Latency rows from \`${path.basename(sel.file)}\`, ${used.length === 1 ? 'run' : 'runs'} ${used.map((i) => `${name(i)} (${count(i)} rows)`).join(', ') || '(none timed)'}.`,
  ];
  if (used.length > 1) {
    lines.push(
      `> Warning: the rows of this table come from ${used.length} different measurement runs; figures of different runs are not measured under the same conditions (re-run \`vanillabench latency\` for one run).`,
    );
  }
  const cores = sel.data.machine.cores;
  const busy = used.filter((i) => {
    const run = sel.data.runs[i];
    return (
      underLoad(run?.load1, cores, describeRuntime(sel.data, sel.rows).threads ?? 1) ||
      sel.rows.some((r) => r.run === i && underLoad(r.load1, cores, r.threads ?? 1))
    );
  });
  const unknown = used.filter((i) => sel.data.runs[i]?.load1 === undefined);
  if (busy.length > 0) {
    lines.push(
      `> Warning: measured under load: ${busy
        .map((i) => {
          const l = sel.data.runs[i]!.load1;
          return `${name(i)}${l ? ` (1-minute load average ${l.before} before, ${l.after} after, on ${cores} cores)` : ''}`;
        })
        .join(', ')}; a load above ${BUSY_LOAD_PER_CORE} per core slows the timed calls.`,
    );
  }
  if (unknown.length > 0) lines.push(`Machine load not recorded for ${unknown.map(name).join(', ')} (stored before run ids and load averages were recorded).`);
  return lines;
}
