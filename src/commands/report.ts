/**
 * `vanillabench report`: writes <out>/REPORT.md and <out>/charts/*.png from the stored results (zoo counts live,
 * latency files, ablation runs), saying what is missing. A corrupt results file stops it before anything is written.
 */
import { buildReport } from '../report/report.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { log, printJson } from '../util/output.js';
import { checkOutputDir } from '../util/outputDir.js';

export const summary = 'write results/REPORT.md and charts from the stored results (what held, what did not, what is missing)';

const SPEC = {
  command: 'report',
  summary:
    'Reads <out>/latency/*.json and <out>/ablation/<experiment>-<preset>/runs.jsonl, computes the zoo counts, and writes ' +
    '<out>/charts/*.png and <out>/REPORT.md: Table 4 reproduced beside the paper, the ablations with 95% CIs, and which ' +
    "of the paper's claims held on this machine. Missing results are listed, and the folders it leaves out are named as not shown, with the reason; a corrupt file is an error and nothing is written.",
  flags: {
    out: { type: 'string', default: 'results', description: 'results folder (read, and written: REPORT.md, charts/)', valueName: 'dir' },
    ablation: {
      type: 'string',
      multiple: true,
      description:
        'show exactly this ablation folder (an ablate --out, e.g. results/ablation/table2-quick) instead of choosing among <out>/ablation/*; repeat for several; a rung of a ladder shows its ladder',
      valueName: 'dir',
    },
  },
} as const satisfies CommandSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  checkOutputDir(f.out); // it is written (REPORT.md, charts/): checked before anything is read
  const r = await buildReport({ resultsDir: f.out, log: (l) => log(l), ablation: f.ablation.length > 0 ? f.ablation : undefined });
  if (f.json) {
    printJson(r);
    return;
  }
  const lines = [`report: ${r.report}`, ...r.charts.map((c) => `chart: ${c}`)];
  for (const c of r.claims) lines.push(`${c.verdict.padEnd(12)}  ${c.claim}`);
  for (const m of r.missing) lines.push(`missing: ${m}`);
  for (const m of r.notShown) lines.push(`not shown: ${m}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
