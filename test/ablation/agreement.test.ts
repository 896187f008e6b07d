/**
 * summary.md and REPORT.md format ONE analysis (src/ablation/analysis.ts): every ablation claim of REPORT.md is the
 * row of summary.md for the same pair of cells, with the same paired difference, 95% CI, verdict and scale; a
 * ResNet-50 that did not converge is "untestable at this budget" in both, never "opposite".
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSummary } from '../../src/ablation/summary.js';
import { buildReport } from '../../src/report/report.js';
import { cell, record } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vb-agree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  diff: number;
  low: number;
  high: number;
  verdict: string;
  baseline: boolean;
  paper: string;
  scale: string;
  cell: string;
}

const num = (s: string) => Number(s.trim().replace('–', '-'));

function summaryRows(md: string): Row[] {
  const body = md.split('## Effects')[1].split('\n## ')[0];
  return body
    .split('\n')
    .filter((l) => /^\| .* \| [+-]\d/.test(l))
    .map((l) => {
      const cols = l.split(' | ');
      const [low, high] = cols[3].split(' – ').map(num);
      return {
        cell: cols[0].slice(2),
        diff: num(cols[2]),
        low,
        high,
        paper: cols[5],
        verdict: cols[6],
        baseline: cols[1].endsWith('(baseline)'),
        scale: cols[8].replace(/ \|$/, ''),
      };
    });
}

interface ReportClaim {
  verdict: string;
  claim: string;
  diff: number;
  low: number;
  high: number;
  scale: string;
  line: string;
}

function reportClaims(md: string): ReportClaim[] {
  return md.split('\n').flatMap((l) => {
    const m = /^- \*\*([A-Z ]+)\*\*: (.*?)\. .*ours: ([+-][\d.]+) pp .*95% CI of the paired difference \[([+-][\d.]+), ([+-][\d.]+)\]\) (\(.*\))\.$/.exec(l);
    return m ? [{ verdict: m[1].toLowerCase(), claim: m[2], diff: Number(m[3]), low: Number(m[4]), high: Number(m[5]), scale: m[6], line: l }] : [];
  });
}

async function both(results: string, experiments: string[]): Promise<{ rows: Row[]; claims: ReportClaim[]; report: string }> {
  const rows: Row[] = [];
  for (const t of experiments) {
    writeSummary(join(results, 'ablation', t));
    rows.push(...summaryRows(readFileSync(join(results, 'ablation', t, 'summary.md'), 'utf8')));
  }
  const r = await buildReport({ resultsDir: results });
  const report = readFileSync(r.report, 'utf8');
  return { rows, claims: reportClaims(report), report };
}

function expectAgreement(rows: Row[], claims: ReportClaim[]): void {
  const close = (x: number, y: number) => Math.abs(x - y) < 0.006;
  for (const c of claims) {
    const row = rows.find((x) => x.baseline && x.paper !== '–' && close(x.diff, c.diff) && close(x.low, c.low) && close(x.high, c.high) && x.scale === c.scale);
    expect(row, `no summary.md row for "${c.claim}"`).toBeDefined();
    expect(row!.verdict, `"${c.claim}"`).toBe(c.verdict);
  }
  // and every summary row against a baseline with a paper figure is a claim
  expect(claims).toHaveLength(rows.filter((x) => x.baseline && x.paper !== '–').length);
}

describe('summary.md and REPORT.md agree', () => {
  it('on the committed Table 2 and Table 3 runs: same paired effects, same CIs, the same verdicts and scales', async () => {
    const results = join(dir, 'committed');
    // the runs of the earlier protocol, archived with the summaries they had (results/archive/README.md)
    for (const t of ['table2', 'table3']) cpSync(`results/archive/ablation-2026-11-${t}`, join(results, 'ablation', t), { recursive: true });
    const { rows, claims } = await both(results, ['table2', 'table3']);
    expect(claims).toHaveLength(11); // 3 x 3 Table 2 claims, 2 Table 3 claims
    expectAgreement(rows, claims);
    // the committed ResNet-50 (71 % baseline against 85 %, 18 % with both tricks) is never a refutation
    const r50 = claims.filter((c) => /ResNet-50/.test(c.claim));
    expect(r50).toHaveLength(3);
    for (const c of r50) expect(c.verdict).toBe('untestable at this budget');
    for (const r of rows.filter((x) => /^ResNet-50/.test(x.cell))) expect(r.verdict).toBe('untestable at this budget');
  });

  it('a ResNet-50 that did not converge is "untestable at this budget" in both, never "opposite", with the reason', async () => {
    const results = join(dir, 'synthetic');
    mkdirSync(join(results, 'ablation', 'table2'), { recursive: true });
    const lines: string[] = [];
    const metrics = (final: number, lastGain: number) => [1, 2].map((epoch) => ({ epoch, valTop1: epoch === 2 ? final : final - lastGain }));
    const add = (c: ReturnType<typeof cell>, values: number[], lastGain = 0.1) =>
      values.forEach((v, i) => lines.push(JSON.stringify(record(c, i + 1, v, { experiment: 'table2', metrics: metrics(v, lastGain) as never }))));
    const v6 = (i: number, d: boolean, s: boolean) => cell(i, { deepTraining: d, seriesAct: s });
    const r50 = (i: number, d: boolean, s: boolean) => {
      const c = cell(4 + i, { deepTraining: d, seriesAct: s }, { model: 'resnet-50', label: 'ResNet-50', entry: 1 });
      return { ...c, toggles: { ...c.toggles, shortcut: 'before-act' as const } };
    };
    add(v6(0, false, false), [85, 85.4, 85.8]);
    add(v6(1, false, true), [86, 86.5, 86.9]);
    add(v6(2, true, false), [85.1, 85.3, 85.9]);
    add(v6(3, true, true), [86.2, 86.4, 87]);
    // ResNet-50: a converged-looking baseline far below its peers (rule c), a clear drop with each trick
    add(r50(0, false, false), [71, 71.5, 72]);
    add(r50(1, false, true), [51, 52, 51.5]);
    add(r50(2, true, false), [41, 40, 42]);
    add(r50(3, true, true), [18, 18.2, 17.9], 0.8);
    writeFileSync(join(results, 'ablation', 'table2', 'runs.jsonl'), `${lines.join('\n')}\n`);
    const { rows, claims, report } = await both(results, ['table2']);
    expectAgreement(rows, claims);
    const r50Claims = claims.filter((c) => /ResNet-50/.test(c.claim));
    expect(r50Claims).toHaveLength(3);
    for (const c of r50Claims) {
      expect(c.verdict).toBe('untestable at this budget');
      expect(c.line).toMatch(/ResNet-50's baseline \(every toggle off\) 71\.50 % is 13\.90 points below the best baseline \(VanillaNet-6 85\.40 %; > 5\)/);
      expect(c.scale).toBe('(ResNet-50 w1/16 imagenet stem, Fashion-MNIST 32 px, 2000 images x 2 epochs, 3 paired seeds)');
    }
    expect(claims.find((c) => /deep training \+ series informed activation makes little difference to ResNet-50/.test(c.claim))!.line).toMatch(
      /still improving \(last epoch \+0\.80 points.*near chance \(mean 18\.03 %/,
    );
    for (const r of rows.filter((x) => /^resnet-50|^ResNet-50/i.test(x.cell))) expect(r.verdict).toBe('untestable at this budget');
    expect(report).not.toMatch(/OPPOSITE AT THIS SCALE\*\*: [^\n]*ResNet-50/);
    expect(report).not.toMatch(/DID NOT HOLD\*\*: [^\n]*ResNet-50/);
  });
});
