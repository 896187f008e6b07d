import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { paperFigure, summarize } from '../../src/ablation/analysis.js';
import { summaryCsv, summaryMarkdown, writeSummary } from '../../src/ablation/summary.js';
import type { RunRecord } from '../../src/ablation/store.js';
import { cell, record } from './helpers.js';

// a Table 2 cell set for VanillaNet-6: baseline (both off), sa only, dt only, both
const base = cell(0, { deepTraining: false, seriesAct: false });
const sa = cell(1, { deepTraining: false, seriesAct: true });
const dt = cell(2, { deepTraining: true, seriesAct: false });
const both = cell(3, { deepTraining: true, seriesAct: true });
const records = (): RunRecord[] => [
  ...[70, 72, 74].map((v, i) => record(base, i + 1, v)),
  ...[80, 82, 84].map((v, i) => record(sa, i + 1, v)),
  ...[69, 71, 73].map((v, i) => record(dt, i + 1, v)),
  record(both, 1, 83), record(both, 2, 85), record(both, 3, null, { status: 'diverged', message: 'loss became NaN' }),
];

describe('summary', () => {
  it("per cell: mean, sd, CI, n; the paper's figure for the same toggles", () => {
    const s = summarize(records());
    expect(s.cells.map((c) => c.cell.id)).toEqual(['cell0', 'cell1', 'cell2', 'cell3']);
    const [c0, c1, , c3] = s.cells;
    expect(c0.top1.mean).toBe(72);
    expect(c0.top1.sd).toBe(2);
    expect(c0.top1.n).toBe(3);
    expect(c0.paper).toEqual({ top1: 59.58, table: 'Table 2' });
    expect(c1.paper?.top1).toBe(75.23);
    expect(c3.top1.n).toBe(2);
    expect(c3.runs).toBe(3);
    expect(c3.diverged).toBe(1);
    expect(c3.top1.mean).toBe(84);
    expect(c3.top1.half).toBeCloseTo(12.7062 * (Math.SQRT2 / Math.sqrt(2)), 3);
    expect(s.counts).toEqual({ ok: 11, diverged: 1, failed: 0 });
    expect(s.datasets).toEqual(['fashion-mnist/train (2000 train / 500 validation, 32x32)']);
  });

  it('effects vs the baseline and one factor away, with Welch CIs and the paper effect', () => {
    const s = summarize(records());
    const find = (id: string, against: string) => s.comparisons.find((c) => c.cell.cell.id === id && c.against.cell.id === against)!;
    expect(s.comparisons).toHaveLength(5);
    const saEffect = find('cell1', 'cell0');
    expect(saEffect.vsBaseline).toBe(true);
    expect(saEffect.differing).toEqual(['seriesAct']);
    expect(saEffect.effect.diff).toBe(10);
    expect(saEffect.effect.half).toBeCloseTo(2.776445 * Math.sqrt(8 / 3), 4);
    expect(saEffect.paperEffect).toBe(15.65);
    expect(saEffect.verdict).toMatch(/^reproduced/);
    const dtEffect = find('cell2', 'cell0');
    expect(dtEffect.effect.diff).toBe(-1);
    expect(dtEffect.paperEffect).toBe(0.95);
    // -1 +- 4.5 includes 0 and the paper's +0.95: says nothing either way
    expect(dtEffect.verdict).toBe("inconclusive: CI includes both 0 and the paper's effect");
    const combined = find('cell3', 'cell0');
    expect(combined.differing).toEqual(['deepTraining', 'seriesAct']);
    expect(combined.paperEffect).toBe(16.78);
    expect(find('cell3', 'cell1').differing).toEqual(['deepTraining']);
    expect(find('cell3', 'cell2').differing).toEqual(['seriesAct']);

    const text = summaryMarkdown(s);
    expect(text).toContain('Series activation helps vanillanet-6 (deepTraining off): +10.00 ± 4.53 points (3 vs 3 seeds); paper +15.65 → reproduced');
    expect(text).toContain('Dataset: fashion-mnist/train (2000 train / 500 validation, 32x32)');
    expect(text).not.toMatch(/2026-01-01|wall|img\/s/);
  });

  it('the shortcut effects of Table 3 against none', () => {
    const none = cell(0, { shortcut: 'none' });
    const before = cell(1, { shortcut: 'before-act' });
    const s = summarize([...[76, 77, 78].map((v, i) => record(none, i + 1, v)), ...[70, 71, 72].map((v, i) => record(before, i + 1, v))]);
    expect(s.cells[1].paper).toEqual({ top1: 75.92, table: 'Table 3' });
    expect(s.comparisons[0].paperEffect).toBe(-0.44);
    expect(s.comparisons[0].effect.diff).toBe(-6);
    expect(s.comparisons[0].verdict).toMatch(/same direction as the paper, but clearer here than the paper's negligible effect/);
    expect(summaryMarkdown(s)).toContain('Shortcut before-act (vs none) hurts vanillanet-6: -6.00');
    expect(paperFigure('resnet-50', { deepTraining: false, seriesAct: true, shortcut: 'before-act', actNum: 3, width: 1, stem: 'imagenet' })?.top1).toBe(76.3);
    expect(paperFigure('resnet-50', { deepTraining: false, seriesAct: true, shortcut: 'none', actNum: 3, width: 1, stem: 'imagenet' })).toBeNull();
    expect(paperFigure('vanillanet-5', { deepTraining: true, seriesAct: true, shortcut: 'none', actNum: 3, width: 1, stem: 'imagenet' })).toBeNull();
  });

  it('a CI that includes 0 is "consistent", "inconclusive" or "not reproduced" by what else it includes', () => {
    const none = cell(0, { shortcut: 'none' });
    const before = cell(1, { shortcut: 'before-act' });
    const verdictOf = (a: number[], b: number[], c0 = none, c1 = before) =>
      summarize([...a.map((v, i) => record(c0, i + 1, v)), ...b.map((v, i) => record(c1, i + 1, v))]).comparisons[0].verdict;
    // paper -0.44 (negligible); +0.1 +- 0.45: within the +-1 point margin
    expect(verdictOf([76, 76.2, 76.4], [76.1, 76.3, 76.5])).toBe("consistent with the paper's negligible effect (CI within ±1 point)");
    // +0.5 +- 0.2: excludes 0 but lies within the margin: still negligible
    expect(verdictOf([76, 76.1, 76.2], [76.5, 76.6, 76.7])).toBe("consistent with the paper's negligible effect (CI within ±1 point)");
    // +0.33 +- ~10: includes 0, but also large effects either way
    expect(verdictOf([70, 76, 82], [72, 77, 80])).toBe('inconclusive: CI includes 0 but reaches past ±1 point, so it cannot show a negligible effect');
    // paper +15.65 for series activation; +0.33 +- ~2 includes 0 and rules the paper's effect out
    expect(verdictOf([80, 81, 82], [80.5, 81, 82.5], base, sa)).toBe("not reproduced at this scale: no clear effect (CI includes 0, excludes the paper's effect)");
  });

  it('depends only on the last record per run, not on file order or superseded records', () => {
    const r = records();
    const failedFirst = [record(sa, 1, null, { status: 'failed', message: 'worker died' }), ...r];
    const shuffled = [...r].reverse();
    const a = summarize(r);
    expect(summaryMarkdown(summarize(shuffled))).toBe(summaryMarkdown(a));
    expect(summaryCsv(summarize(shuffled))).toBe(summaryCsv(a));
    expect(summaryMarkdown(summarize(failedFirst))).toBe(summaryMarkdown(a));
    // a run whose last record failed counts as failed
    const lastFailed = summarize([...r, record(sa, 1, null, { status: 'failed', message: 'x' })]);
    expect(lastFailed.cells[1].failed).toBe(1);
    expect(lastFailed.cells[1].top1.n).toBe(2);
  });

  it('writes summary.csv and summary.md from runs.jsonl', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vb-sum-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'runs.jsonl'), records().map((x) => `${JSON.stringify(x)}\n`).join(''));
    writeSummary(dir);
    const csv = readFileSync(path.join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^experiment,preset,cell_id,model,label,deepTraining,seriesAct,runs,ok,diverged,failed,n,mean_top1,sd_top1,ci95_low,ci95_high/);
    expect(csv[1]).toContain('exp,quick,cell0,vanillanet-6,vanillanet-6,off,off,3,3,0,0,3,72.0000,2.0000,');
    expect(csv[2]).toContain(',59.58,Table 2,'.replace('59.58', '75.23'));
    expect(csv[2]).toContain('"vanillanet-6, deepTraining off, seriesAct off",10.0000,');
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('# Ablation exp (preset quick)');
  });
});
