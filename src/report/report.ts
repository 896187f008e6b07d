/**
 * Builds results/REPORT.md (and results/charts/*.png) from what is stored:
 *  - the zoo's counts, computed live (src/models/zoo.ts);
 *  - latency results, results/latency/*.json (src/results/latencyFile.ts);
 *  - ablation runs, results/ablation/<experiment>-<preset>/runs.jsonl, read by the run store and analysed by
 *    src/ablation/analysis.ts, the same analysis summary.md formats (./ablationSection.ts);
 *
 * Everything is read and checked before anything is written: a corrupt file (bad JSON, wrong shape) is one
 * UserError naming it, and neither the charts nor REPORT.md are touched. What is missing is listed in the report.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ruleLines } from '../ablation/rules.js';
import type { Claim, ExperimentKind, Verdict } from '../ablation/verdicts.js';
import type { ZooEntry } from '../models/zoo.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit } from '../util/provenance.js';
import { ablationSection, type AblationExperiment } from './ablationSection.js';
import { writeChart } from './charts.js';
import { gpuLatencySection } from './gpu.js';
import { loadReportInputs, rowOf, selectLatency, type LatencySelection, type LatencyStudy, type ReportInputs } from './inputs.js';
import { latencyClaims } from './latencyClaims.js';
import { otherLatencySection, provenanceSection, table4Section } from './latencySection.js';
import { latencyStudySection } from './latencyStudySection.js';
import { runKey } from './latencyStudy.js';
import type { Section } from './markdown.js';

const VERDICT_MARK: Record<Verdict, string> = {
  held: 'HELD',
  'did not hold': 'DID NOT HOLD',
  inconclusive: 'INCONCLUSIVE',
  'not tested': 'NOT TESTED',
  'direction reproduced': 'DIRECTION REPRODUCED',
  'opposite direction': 'OPPOSITE DIRECTION',
  'negligible, as in the paper': 'NEGLIGIBLE, AS IN THE PAPER',
  'not negligible': 'NOT NEGLIGIBLE',
  untestable: 'UNTESTABLE',
  interim: 'INTERIM (NO VERDICT)',
  'clear effect': 'CLEAR EFFECT',
  'no clear effect': 'NO CLEAR EFFECT',
};

export interface ReportResult {
  report: string;
  charts: string[];
  missing: string[];
  /** result folders left out of the report, each with the reason */
  notShown: string[];
  claims: Claim[];
  latency: { file: string; inputSize: number; batch: number; width: number; timed: number } | null;
  ablation: { experiment: string; kind: ExperimentKind; records: number; cells: number }[];
}

export interface ReportOptions {
  resultsDir: string;
  log?: (line: string) => void;
  /** for tests: a fixed date */
  now?: Date;
  /** show exactly these ablation folders (report --ablation) instead of choosing among <resultsDir>/ablation/* */
  ablation?: readonly string[];
}

/** The title, what the report is made of and what is missing (`missing` grows with what the latency selection lacks). */
function overviewSection(
  dir: string,
  inputs: ReportInputs,
  latency: { primary: LatencySelection | null; study: LatencyStudy | null },
  missing: string[],
  now: Date,
): Section {
  const { primary, study } = latency;
  const zoo = inputs.zoo;
  const md = ['# VanillaNet reproduction report', ''];
  md.push(`Generated ${now.toISOString()} by \`vanillabench report\` from \`${dir}\`${gitCommit() ? ` (commit ${gitCommit()!.slice(0, 12)})` : ''}.`);
  md.push(
    'Paper: VanillaNet: the Power of Minimalism in Deep Learning (Chen et al., 2023). Our counts come from the model zoo (computed now); measurements from the files listed below.',
    '',
  );
  md.push('## What is here and what is missing', '');
  md.push(`- Model zoo: ${zoo.length} models counted at the paper's setting (224 px, width 1, 1000 classes).`);
  md.push(
    primary
      ? `- Latency: ${inputs.latency.length} file(s); Table 4 below uses \`${primary.file}\`, run ${runKey(primary.data, primary.run)}, at ${primary.inputSize} px, batch ${primary.batch}, width ${primary.width}` +
          (study ? `; the study across runtimes: run ${study.key}, ${study.members.length} runtime(s).` : '.')
      : '- Latency: none.',
  );
  md.push(
    inputs.ablation.length > 0
      ? `- Ablations: ${inputs.ablation.map((e: AblationExperiment) => `${e.name} (${e.summary.records} runs)`).join(', ')}.`
      : '- Ablations: none.',
  );
  if (primary && (primary.inputSize !== 224 || primary.batch !== 1 || primary.width !== 1)) {
    missing.push(
      `no latency at the paper's setting (224 px, batch 1, width 1): the latency columns use ${primary.inputSize} px, batch ${primary.batch}, width ${primary.width}`,
    );
  }
  if (primary) {
    const untimed = zoo.filter((z: ZooEntry) => !rowOf(primary, z.name, 'deploy'));
    if (untimed.length > 0) missing.push(`deploy latency not measured for: ${untimed.map((z) => z.name).join(', ')}`);
    for (const r of primary.rows.filter((x) => x.status === 'skipped')) missing.push(`latency skipped for ${r.model} (${r.form}): ${r.reason}`);
  }
  if (missing.length > 0) md.push('', 'Missing:', '', ...missing.map((m) => `- ${m}`));
  if (inputs.notShown.length > 0) md.push('', 'Not shown (reason):', '', ...inputs.notShown.map((m) => `- ${m}`));
  md.push('');
  return { markdown: md, charts: [], claims: [] };
}

/** Every claim with its verdict and numbers, and the count of each verdict. */
function claimsSection(claims: readonly Claim[]): Section {
  const md = ['## Claims on this machine', ''];
  md.push(
    "Each claim of the paper we can test here, with the verdict and the numbers. Ablation verdicts are those of each experiment's ladder summary (one analysis): our small-scale runs, differences paired by seed with 95% CIs, read at the largest budget of the ladder with the trajectory across budgets and the verdict's bootstrap stability; each names the scale it was measured at, not ImageNet. The rules are listed in the Ablations section.",
    '',
  );
  for (const c of claims) md.push(`- **${VERDICT_MARK[c.verdict]}**: ${c.claim}. ${c.detail}`);
  const count = (v: Verdict) => claims.filter((c) => c.verdict === v).length;
  const tally = (Object.keys(VERDICT_MARK) as Verdict[])
    .filter((v) => count(v) > 0 || ['held', 'did not hold', 'inconclusive', 'not tested'].includes(v))
    .map((v) => `${count(v)} ${v}`);
  md.push('', `In short: ${tally.join(', ')}.`, '');
  return { markdown: md, charts: [], claims: [] };
}

/** The findings table (results/findings.md, copied into the README by scripts/sync-readme-findings.mjs): one row per claim. */
export function findingsMarkdown(claims: readonly Claim[]): string {
  const firstSentence = (t: string) => t.split('. ')[0].replace(/\.$/, '');
  const rows = claims.map((c) => `| ${c.claim} | ${c.verdict} | ${(c.short ?? firstSentence(c.detail)).replace(/\|/g, '\\|')} |`);
  return [
    '| claim of the paper | verdict here | what we measured |',
    '|---|---|---|',
    ...rows,
    '',
    "Ablation effects: paired differences in top-1 points at each budget of the experiment's ladder (relative to its first rung), the verdict read at the largest; scales, CIs and the rules in results/REPORT.md.",
    '',
  ].join('\n');
}

/** The runtimes of Table 4's run: the study's members when Table 4 is drawn from the study, else Table 4's own. */
function speedupRunOf(primary: LatencySelection | null, study: LatencyStudy | null): LatencySelection[] {
  if (!primary) return [];
  const inStudy = study?.members.some((m) => m.file === primary.file && m.run === primary.run && m.inputSize === primary.inputSize);
  return inStudy ? study!.members : [primary];
}

/** Reads the results folder, renders the charts, writes them and REPORT.md (all atomically, after all reading). */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const log = opts.log ?? (() => {});
  const dir = opts.resultsDir;
  const inputs = loadReportInputs(dir, opts.ablation); // throws before anything is written
  const missing = [...inputs.missing];
  const chartsDir = path.join(dir, 'charts');
  const { primary, study, extra, others } = selectLatency(inputs.latency);
  const speedupRun = speedupRunOf(primary, study);
  const claims = latencyClaims(study, extra, speedupRun, inputs.zoo);
  const ablation = await ablationSection(inputs.ablation, chartsDir);
  claims.push(...ablation.claims);
  const sections: Section[] = [
    overviewSection(dir, inputs, { primary, study }, missing, opts.now ?? new Date()),
    table4Section(inputs.zoo, primary, [...others, ...(study?.members ?? []), ...extra]),
    await latencyStudySection(study, extra, speedupRun, inputs.zoo, chartsDir),
    { markdown: gpuLatencySection(inputs, inputs.zoo), charts: [], claims: [] },
    claimsSection(claims),
    {
      ...ablation,
      markdown: [
        '## Ablations',
        '',
        ...(ablation.markdown.length > 0 ? ablation.markdown : ['No ablation results yet (expected under `ablation/<experiment>-<preset>/runs.jsonl`).', '']),
        '### Verdict rules',
        '',
        ...ruleLines().map((l, i) => `${i + 1}. ${l}`),
        '',
      ],
    },
    otherLatencySection(others),
    provenanceSection(inputs.latency),
  ];

  // write: charts first, the report last (it links them)
  mkdirSync(dir, { recursive: true });
  const charts = sections.flatMap((s) => s.charts);
  for (const c of charts) {
    writeChart(c.file, c.png);
    log(`report: wrote ${c.file}`);
  }
  const report = path.join(dir, 'REPORT.md');
  const md = sections.flatMap((s) => s.markdown);
  writeFileAtomic(
    report,
    `${md
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd()}\n`,
  );
  log(`report: wrote ${report}`);
  writeFileAtomic(path.join(dir, 'findings.md'), findingsMarkdown(claims));
  return {
    report,
    charts: charts.map((c) => c.file),
    missing,
    notShown: inputs.notShown,
    claims,
    latency: primary
      ? {
          file: primary.file,
          inputSize: primary.inputSize,
          batch: primary.batch,
          width: primary.width,
          timed: primary.rows.filter((r) => r.status === 'ok').length,
        }
      : null,
    ablation: ablation.experiments,
  };
}
