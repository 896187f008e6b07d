/**
 * summary.md and REPORT.md format ONE analysis: every ablation claim of REPORT.md is the row of the ladder's
 * summary.md (or the folder's, without a ladder) for the same pair of cells, with the same effect at the largest
 * rung, the same verdict and stability; a ResNet-50 far below its peers is "untestable" in both, never "opposite".
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSummary } from '../../src/ablation/summary.js';
import { buildReport } from '../../src/report/report.js';
import { cell, record } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vb-agree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  cell: string;
  baseline: boolean;
  top: string;
  paper: string;
  verdict: string;
}

/** The effects rows of a summary.md: the effect at the largest rung (last budget column), the paper's effect, the verdict. */
function summaryRows(md: string): Row[] {
  const table = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| cell |') && / \| (?:[+-]\d|–|not run)/.test(l));
  const head = md
    .split('\n')
    .find((l) => l.startsWith('| cell | against |'))!
    .split(' | ');
  const verdictCol = head.indexOf('verdict');
  const paperCol = head.indexOf('paper');
  const topCol = head.includes('difference [95% CI]') ? head.indexOf('difference [95% CI]') : paperCol - 2;
  return table.map((l) => {
    const cols = l.split(' | ');
    return { cell: cols[0].slice(2), baseline: cols[1].endsWith('(baseline)'), top: cols[topCol], paper: cols[paperCol], verdict: cols[verdictCol] };
  });
}

interface ReportClaim {
  verdict: string;
  claim: string;
  top: string;
  line: string;
}

function reportClaims(md: string): ReportClaim[] {
  return md.split('\n').flatMap((l) => {
    const m = /^- \*\*([A-Z ,()]+)\*\*: (.*?)\. .*Ours at [^:]+: (.*?)(?: points| \(at |;)/.exec(l);
    return m ? [{ verdict: m[1].toLowerCase().replace(' (no verdict)', ''), claim: m[2], top: m[3], line: l }] : [];
  });
}

async function both(
  results: string,
  folders: string[],
  ladderOf: (f: string) => string | null,
): Promise<{ rows: Row[]; claims: ReportClaim[]; report: string }> {
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const t of folders) {
    writeSummary(join(results, 'ablation', t));
    const shown = ladderOf(t) ?? t;
    if (seen.has(shown)) continue;
    seen.add(shown);
    rows.push(...summaryRows(readFileSync(join(results, 'ablation', shown, 'summary.md'), 'utf8')));
  }
  const r = await buildReport({ resultsDir: results });
  const report = readFileSync(r.report, 'utf8');
  return { rows, claims: reportClaims(report), report };
}

function expectAgreement(rows: Row[], claims: ReportClaim[]): void {
  for (const c of claims) {
    // the same effect at the largest rung, and the verdict as printed (with its stability and ratio) in the claim
    const row = rows.find((x) => x.baseline && x.paper !== '–' && x.top === c.top && x.verdict.includes(c.verdict) && c.line.includes(x.verdict));
    expect(row, `no summary.md row for "${c.claim}" (${c.top}, ${c.verdict})`).toBeDefined();
  }
  // and every summary row against a baseline with a paper figure is a claim
  expect(claims).toHaveLength(rows.filter((x) => x.baseline && x.paper !== '–').length);
}

describe('summary.md and REPORT.md agree', () => {
  it('on the committed Table 2 and Table 3 folders (rungs of their ladders): same effects, verdicts and stabilities', async () => {
    const results = join(dir, 'committed');
    for (const t of ['table2-full', 'table3-full']) cpSync(`results/ablation/${t}`, join(results, 'ablation', t), { recursive: true });
    const { rows, claims } = await both(results, ['table2-full', 'table3-full'], (f) => `${f.split('-')[0]}-ladder`);
    expect(existsSync(join(results, 'ablation', 'table2-ladder', 'summary.md'))).toBe(true);
    // 3 per Table 2 network that has runs (VanillaNet-6 and AlexNet always; ResNet-50 once its runs are in), 2 for Table 3
    expect(claims.length).toBeGreaterThanOrEqual(8);
    expectAgreement(rows, claims);
    // only the 1x rungs are copied here: each claim names its top rung as not run, and the largest rung that is
    for (const c of claims) expect(c.line).toMatch(/Ours at 4x: not run \(at 1x, the largest rung run so far: [-+]\d+\.\d\d .* points, \d paired seeds?\)/);
  });

  it('a ResNet-50 far below its peers is "untestable" in both, never "opposite", with the reason', async () => {
    const results = join(dir, 'synthetic');
    const folder = join(results, 'ablation', 'table2-quick');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'experiment.json'),
      JSON.stringify({ name: 'table2', preset: 'quick', seeds: [1, 2, 3], models: [{ model: 'vanillanet-6' }, { model: 'resnet-50' }] }),
    );
    const lines: string[] = [];
    const add = (c: ReturnType<typeof cell>, values: number[]) =>
      values.forEach((v, i) =>
        lines.push(
          JSON.stringify(
            record(c, i + 1, v, {
              experiment: 'table2',
              metrics: [
                { epoch: 1, valTop1: v },
                { epoch: 2, valTop1: v },
              ] as never,
            }),
          ),
        ),
      );
    const v6 = (i: number, d: boolean, s: boolean) => cell(i, { deepTraining: d, seriesAct: s });
    const r50 = (i: number, d: boolean, s: boolean) => {
      const c = cell(4 + i, { deepTraining: d, seriesAct: s }, { model: 'resnet-50', label: 'ResNet-50', entry: 1 });
      return { ...c, toggles: { ...c.toggles, shortcut: 'before-act' as const } };
    };
    add(v6(0, false, false), [85, 85.4, 85.8]);
    add(v6(1, false, true), [86, 86.5, 86.9]);
    add(v6(2, true, false), [85.1, 85.3, 85.9]);
    add(v6(3, true, true), [86.2, 86.4, 87]);
    // ResNet-50: a baseline far below its peers, a clear drop with each trick
    add(r50(0, false, false), [71, 71.5, 72]);
    add(r50(1, false, true), [51, 52, 51.5]);
    add(r50(2, true, false), [41, 40, 42]);
    add(r50(3, true, true), [18, 18.2, 17.9]);
    writeFileSync(join(folder, 'runs.jsonl'), `${lines.join('\n')}\n`);
    const { rows, claims, report } = await both(results, ['table2-quick'], () => null);
    expectAgreement(rows, claims);
    const r50Claims = claims.filter((c) => /ResNet-50/.test(c.claim));
    expect(r50Claims).toHaveLength(3);
    for (const c of r50Claims) {
      expect(c.verdict).toBe('untestable');
      expect(c.line).toMatch(
        /ResNet-50's baseline \(every toggle off\) 71\.50 % is 13\.90 points below the best baseline \(VanillaNet-6 85\.40 %; more than 5\)/,
      );
    }
    expect(claims.find((c) => /deep training \+ series informed activation makes little difference to ResNet-50/.test(c.claim))!.line).toMatch(
      /has runs near chance \(seeds 1, 2, 3 below 20 %\)/,
    );
    for (const r of rows.filter((x) => /^resnet-50|^ResNet-50/i.test(x.cell))) expect(r.verdict).toBe('untestable');
    expect(report).not.toMatch(/OPPOSITE DIRECTION\*\*: [^\n]*ResNet-50/);
    expect(report).not.toMatch(/NOT NEGLIGIBLE\*\*: [^\n]*ResNet-50/);
  });
});
