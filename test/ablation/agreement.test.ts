/**
 * summary.md and REPORT.md format ONE analysis (src/ablation/analysis.ts): on the committed Table 2 and Table 3
 * runs, every ablation claim of REPORT.md has the row of summary.md for the same pair of cells, with the same
 * difference and 95% CI, and a verdict that says the same thing in the report's words.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSummary } from '../../src/ablation/summary.js';
import { buildReport } from '../../src/report/report.js';

const dir = mkdtempSync(join(tmpdir(), 'vb-agree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row { diff: number; low: number; high: number; verdict: string; baseline: boolean }

const num = (s: string) => Number(s.trim().replace('–', '-'));

function summaryRows(md: string): Row[] {
  const body = md.split('## Effects')[1].split('\n## ')[0];
  return body.split('\n').filter((l) => /^\| .* \| [+-]\d/.test(l)).map((l) => {
    const cols = l.split(' | ');
    const [low, high] = cols[3].split(' – ').map(num);
    return { diff: num(cols[2]), low, high, verdict: cols[5].replace(/ \|$/, ''), baseline: cols[1].endsWith('(baseline)') };
  });
}

interface ReportClaim { verdict: string; claim: string; diff: number; low: number; high: number }

function reportClaims(md: string): ReportClaim[] {
  return md.split('\n').flatMap((l) => {
    const m = /^- \*\*([A-Z ]+)\*\*: (.*?)\. .*ours: ([+-]?[\d.]+) pp .*95% CI of the difference \[([+-]?[\d.]+), ([+-]?[\d.]+)\]/.exec(l);
    return m ? [{ verdict: m[1].toLowerCase(), claim: m[2], diff: Number(m[3]), low: Number(m[4]), high: Number(m[5]) }] : [];
  });
}

/** Whether the summary's verdict on b - a (or on a - b, `reversed`) says what the report's claim verdict says. */
function consistent(c: ReportClaim, r: Row, reversed: boolean): boolean {
  if (/does not help/.test(c.claim)) {
    // non-inferiority of "no shortcut" (b) against a shortcut (a): held when the shortcut's CI ends below +1 point
    const high = reversed ? r.high : -r.low;
    const low = reversed ? r.low : -r.high;
    return c.verdict === (high <= 1 ? 'held' : low > 1 ? 'did not hold' : 'inconclusive');
  }
  if (/little difference/.test(c.claim)) {
    if (c.verdict === 'held') return /^consistent with the paper's negligible/.test(r.verdict);
    if (c.verdict === 'did not hold') return /clear/.test(r.verdict);
    return !/^consistent/.test(r.verdict);
  }
  if (c.verdict === 'held') return /^reproduced/.test(r.verdict);
  if (c.verdict === 'did not hold') return /^not reproduced: the opposite direction/.test(r.verdict);
  return /^inconclusive|^not reproduced at this scale/.test(r.verdict);
}

describe('summary.md and REPORT.md agree', () => {
  it('on the committed Table 2 and Table 3 runs: same effects, same CIs, the same verdicts', async () => {
    cpSync('results/ablation', join(dir, 'ablation'), { recursive: true });
    const rows: Row[] = [];
    for (const t of ['table2', 'table3']) {
      writeSummary(join(dir, 'ablation', t));
      rows.push(...summaryRows(readFileSync(join(dir, 'ablation', t, 'summary.md'), 'utf8')));
    }
    const r = await buildReport({ resultsDir: dir });
    const claims = reportClaims(readFileSync(r.report, 'utf8'));
    expect(claims).toHaveLength(11); // 3 x 3 Table 2 claims, 2 Table 3 claims
    const close = (x: number, y: number) => Math.abs(x - y) < 0.011;
    for (const c of claims) {
      const same = rows.find((x) => x.baseline && close(x.diff, c.diff) && close(x.low, c.low) && close(x.high, c.high));
      const reversed = rows.find((x) => x.baseline && close(x.diff, -c.diff) && close(x.low, -c.high) && close(x.high, -c.low));
      const row = same ?? reversed;
      expect(row, `no summary.md row for "${c.claim}"`).toBeDefined();
      expect(consistent(c, row!, !same), `"${c.claim}": REPORT.md ${c.verdict}, summary.md ${row!.verdict}`).toBe(true);
    }
  });
});
