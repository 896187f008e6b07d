import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { figureOf, paperFigure, runTimeOf, summarize } from '../../src/ablation/analysis.js';
import { runTimeText, summaryCsv, summaryMarkdown, writeSummary } from '../../src/ablation/summary.js';
import type { RunRecord } from '../../src/ablation/recordCheck.js';
import { BASELINE_GAP_POINTS, NEAR_CHANCE_FACTOR } from '../../src/ablation/rules.js';
import { cell, declared, record } from './helpers.js';

const D3 = { declared: declared([1, 2, 3]) };

// a Table 2 cell set for VanillaNet-6 in the matrix order: baseline (both off), sa only, dt only, both
const base = cell(0, { deepTraining: false, seriesAct: false });
const sa = cell(1, { deepTraining: false, seriesAct: true });
const dt = cell(2, { deepTraining: true, seriesAct: false });
const both = cell(3, { deepTraining: true, seriesAct: true });
const records = (): RunRecord[] => [
  ...[70, 72, 74].map((v, i) => record(base, i + 1, v)),
  ...[80, 83, 84].map((v, i) => record(sa, i + 1, v)),
  ...[69, 72, 73].map((v, i) => record(dt, i + 1, v)),
  record(both, 1, 83),
  record(both, 2, 85),
  record(both, 3, null, { status: 'diverged', message: 'loss became NaN' }),
];
// t(2, 0.975) and the paired differences' sd of 1/sqrt(3) over 3 pairs
const T2 = 4.302652729911275;

describe('summary', () => {
  it("per cell: mean, sd, CI, n, in the paper's order (neither, deep training, series act., both); the paper's figure", () => {
    const s = summarize(records());
    expect(s.cells.map((c) => c.cell.id)).toEqual(['cell0', 'cell2', 'cell1', 'cell3']);
    const [c0, , c1, c3] = s.cells;
    expect(c0.top1.mean).toBe(72);
    expect(c0.top1.sd).toBe(2);
    expect(c0.top1.n).toBe(3);
    expect(c0.paper).toEqual({ top1: 59.58, table: 'Table 2' });
    expect(c1.paper?.top1).toBe(75.23);
    expect(c3.top1.n).toBe(2);
    expect(c3.runs).toBe(3);
    expect(c3.diverged).toBe(1);
    expect(c3.top1.mean).toBe(84);
    expect(c3.top1.half).toBeCloseTo(12.7062, 3);
    expect(s.counts).toEqual({ ok: 11, diverged: 1, failed: 0 });
    expect(s.datasets).toEqual(['fashion-mnist/train (2000 train / 500 validation, 32x32)']);
    expect(s.figureSplit).toBe('validation');
  });

  it('the figure of a run is its test top-1 when recorded, else its validation top-1; the header says which', () => {
    expect(figureOf(record(base, 1, 70, { testTop1: 68.5 }))).toBe(68.5);
    expect(figureOf(record(base, 1, 70))).toBe(70);
    expect(figureOf(record(base, 1, 70, { testTop1: null }))).toBe(70);
    const s = summarize(records().map((r) => ({ ...r, testTop1: r.valTop1 === null ? null : r.valTop1 - 1 })));
    expect(s.figureSplit).toBe('test');
    expect(s.cells[0].top1.mean).toBe(71);
    expect(summaryMarkdown(s)).toContain("Figures: top-1 (%) on the official test split (each record's testTop1)");
    expect(summaryMarkdown(summarize(records()))).toContain('Figures: top-1 (%) on the validation split');
  });

  it('effects are paired by seed (Student t on the differences, n - 1 df) beside the paper effect, with the scale', () => {
    const s = summarize(records(), D3);
    const find = (id: string, against: string) => s.comparisons.find((c) => c.cell.cell.id === id && c.against.cell.id === against)!;
    expect(s.comparisons).toHaveLength(5);
    const saEffect = find('cell1', 'cell0');
    expect(saEffect.vsBaseline).toBe(true);
    expect(saEffect.differing).toEqual(['seriesAct']);
    // differences 10, 11, 10 (Welch on the two cells would give +-4.8)
    expect(saEffect.effect.diff).toBeCloseTo(31 / 3, 12);
    expect(saEffect.effect.n).toBe(3);
    expect(saEffect.effect.df).toBe(2);
    expect(saEffect.effect.half).toBeCloseTo((T2 * Math.sqrt(1 / 3)) / Math.sqrt(3), 9);
    expect(saEffect.paperEffect).toBe(15.65);
    expect(saEffect.verdict).toBe('direction reproduced');
    expect(saEffect.scale).toBe('(VanillaNet-6 w1/16 imagenet stem, Fashion-MNIST 32 px, 2000 images x ? epochs, 3 paired seeds)');
    const dtEffect = find('cell2', 'cell0');
    // differences -1, 0, -1: CI [-2.1, +0.8] includes 0, not the paper's +0.95 (a detail, not a verdict)
    expect(dtEffect.effect.diff).toBeCloseTo(-2 / 3, 12);
    expect(dtEffect.paperEffect).toBe(0.95);
    expect(dtEffect.verdict).toBe('inconclusive');
    expect(dtEffect.detail).toBe('the 95% CI includes 0');
    // both: seed 3 diverged, so 2 pairs (13, 13)
    const combined = find('cell3', 'cell0');
    expect(combined.differing).toEqual(['deepTraining', 'seriesAct']);
    expect(combined.paperEffect).toBe(16.78);
    expect(combined.effect.n).toBe(2);
    expect(combined.effect.diff).toBe(13);
    // seed 3 of 'both' diverged: fewer ok seeds than declared, no verdict
    expect(combined.verdict).toBe('interim');
    expect(find('cell3', 'cell1').differing).toEqual(['deepTraining']);
    expect(find('cell3', 'cell2').differing).toEqual(['seriesAct']);

    const text = summaryMarkdown(s);
    expect(text).toContain(
      '| vanillanet-6, deepTraining off, seriesAct on | vanillanet-6, deepTraining off, seriesAct off (baseline) | +10.33 [+8.90, +11.77] | 3 | +15.65 | direction reproduced (ours/paper 0.66; stability 1.00) |',
    );
    expect(text).toContain('Scale: VanillaNet-6 w1/16 imagenet stem, Fashion-MNIST 32 px, 2000 images x ? epochs.');
    expect(text).toContain('Dataset: fashion-mnist/train (2000 train / 500 validation, 32x32)');
    expect(text).toContain('Effects: cell B − cell A paired by seed');
    // each rule once
    expect(text.split('Pre-registered seeds:').length).toBe(2);
    // no speeds or Welch tests; the runs' time only on the Runs line
    expect(text).not.toMatch(/img\/s|Welch/);
    expect(text.split('\n').filter((l) => /2026-01-01|wall/.test(l) && !l.startsWith('- Runs: '))).toEqual([]);
  });

  it('the shortcut effects of Table 3 against none', () => {
    const none = cell(0, { shortcut: 'none' });
    const before = cell(1, { shortcut: 'before-act' });
    const s = summarize([...[76, 77, 78].map((v, i) => record(none, i + 1, v)), ...[70, 71.5, 72].map((v, i) => record(before, i + 1, v))], D3);
    expect(s.cells[1].paper).toEqual({ top1: 75.92, table: 'Table 3' });
    expect(s.comparisons[0].paperEffect).toBe(-0.44);
    expect(s.comparisons[0].effect.diff).toBeCloseTo(-35 / 6, 9);
    // negligible in the paper, the whole CI below -1 point here
    expect(s.comparisons[0].verdict).toBe('not negligible');
    expect(s.comparisons[0].detail).toBe('the whole 95% CI lies below -1 point');
    expect(paperFigure('resnet-50', { deepTraining: false, seriesAct: true, shortcut: 'before-act', actNum: 3, width: 1, stem: 'imagenet' })?.top1).toBe(76.3);
    expect(paperFigure('resnet-50', { deepTraining: false, seriesAct: true, shortcut: 'none', actNum: 3, width: 1, stem: 'imagenet' })).toBeNull();
    expect(paperFigure('vanillanet-5', { deepTraining: true, seriesAct: true, shortcut: 'none', actNum: 3, width: 1, stem: 'imagenet' })).toBeNull();
  });

  it('the verdict of a folder alone: the rules of ./rules.ts on its declared seeds', () => {
    const none = cell(0, { shortcut: 'none' });
    const before = cell(1, { shortcut: 'before-act' });
    const verdictOf = (a: number[], b: number[], c0 = none, c1 = before) => {
      const n = Math.max(a.length, b.length);
      const cmp = summarize([...a.map((v, i) => record(c0, i + 1, v)), ...b.map((v, i) => record(c1, i + 1, v))], {
        declared: declared([...Array(n).keys()].map((i) => i + 1)),
      }).comparisons[0];
      return `${cmp.verdict}: ${cmp.detail}`;
    };
    // paper -0.44 (negligible): paired +0.1 +- 0 lies within the +-1 point margin, even though it excludes 0
    expect(verdictOf([76, 76.2, 76.4], [76.1, 76.3, 76.5])).toMatch(/^negligible, as in the paper: equivalence within ±1 point/);
    // differences -6, +4, -2: includes 0 and large effects either way
    expect(verdictOf([70, 76, 82], [64, 80, 80])).toMatch(/^inconclusive: neither equivalence within ±1 point/);
    expect(verdictOf([80, 81, 82], [78, 79.5, 80], base, sa)).toBe("opposite direction: the 95% CI excludes 0 in the direction opposite to the paper's");
    // one declared seed: no CI
    expect(verdictOf([80], [85], base, sa)).toBe('inconclusive: no CI at 1x: it needs 2 or more paired seeds (1)');
    // a seed missing in one cell: interim
    expect(verdictOf([80, 81], [85], base, sa)).toMatch(
      /^interim: no verdict until every declared seed is in: 1x: 1 of 2 declared seeds ok in both cells \(missing 2\)/,
    );
  });

  it('the gates: runs near chance, a baseline far below its peers; never "opposite" for such a cell', () => {
    const r50 = (i: number, d: boolean, sAct: boolean) => {
      const c = cell(10 + i, { deepTraining: d, seriesAct: sAct }, { model: 'resnet-50', label: 'ResNet-50', entry: 1, id: `r50-${i}` });
      return { ...c, toggles: { ...c.toggles, shortcut: 'before-act' as const } }; // ResNet's own shortcut is its default
    };
    const v6 = [...[85, 85.5, 86].map((v, i) => record(base, i + 1, v)), ...[85.5, 86, 86].map((v, i) => record(sa, i + 1, v))];
    // ResNet-50 baseline 71 (14 points below VanillaNet-6's 85.5), both tricks 18 % (below 2x chance)
    const r = [
      ...v6,
      ...[70, 71, 72].map((v, i) => record(r50(0, false, false), i + 1, v)),
      ...[17.9, 18, 18.1].map((v, i) => record(r50(3, true, true), i + 1, v)),
    ];
    const s = summarize(r, D3);
    const r50both = s.comparisons.find((c) => c.cell.cell.id === 'r50-3')!;
    expect(r50both.verdict).toBe('untestable');
    expect(r50both.detail).toContain(
      `ResNet-50's baseline (every toggle off) 71.00 % is 14.50 points below the best baseline (VanillaNet-6 85.50 %; more than ${BASELINE_GAP_POINTS})`,
    );
    expect(r50both.detail).toContain(`has runs near chance (seeds 1, 2, 3 below ${NEAR_CHANCE_FACTOR * 10} %)`);
    expect(s.cells.find((c) => c.cell.id === 'r50-0')!.baselineGap).not.toBeNull();
    // VanillaNet-6 is its own best peer
    expect(s.cells.find((c) => c.cell.id === 'cell0')!.baselineGap).toBeNull();
    const text = summaryMarkdown(s);
    expect(text).toMatch(
      /\| ResNet-50, deepTraining on, seriesAct on \| ResNet-50, deepTraining off, seriesAct off \(baseline\) \| -53\.00 \[.*\] \| 3 \| \+0\.14 \| untestable \|/,
    );
  });

  it("PyTorch records (engine 'torch'): same cells, a column beside ours and ours - PyTorch paired by seed; effects on ours only", () => {
    const torch = (c: typeof base, seed: number, v: number) => record(c, seed, v, { engine: 'torch', runId: `${c.id}-torch-s${seed}` });
    const s = summarize([...records(), torch(base, 1, 71), torch(base, 2, 72), torch(base, 3, 72), torch(sa, 1, 90)], D3);
    expect(s.cells).toHaveLength(4);
    expect(s.records).toBe(12);
    const c0 = s.cells[0];
    expect(c0.torch?.ok).toBe(3);
    expect(c0.torch?.top1.mean).toBeCloseTo(215 / 3, 9);
    // ours 70, 72, 74 - torch 71, 72, 72: -1, 0, +2
    expect(c0.oursMinusTorch?.diff).toBeCloseTo(1 / 3, 9);
    expect(c0.oursMinusTorch?.n).toBe(3);
    expect(s.cells[2].oursMinusTorch?.n).toBe(1);
    expect(s.cells[1].torch).toBeNull();
    // the effects are those without the torch records
    const plain = summarize(records(), D3);
    expect(s.comparisons.map((c) => [c.effect.diff, c.verdict])).toEqual(plain.comparisons.map((c) => [c.effect.diff, c.verdict]));
    const text = summaryMarkdown(s);
    expect(text).toContain('| PyTorch, same protocol | ours − PyTorch (paired) |');
    expect(text).toContain('| 71.67 (n 3) | +0.33 [-3.46, +4.13] (3 pairs) |');
    expect(summaryMarkdown(plain)).not.toContain('PyTorch');
    expect(summaryCsv(s).split('\n')[0]).toContain('torch_mean_top1');
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
    const saCell = lastFailed.cells.find((c) => c.cell.id === 'cell1')!;
    expect(saCell.failed).toBe(1);
    expect(saCell.top1.n).toBe(2);
  });

  it('writes summary.csv and summary.md from runs.jsonl', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vb-sum-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      path.join(dir, 'runs.jsonl'),
      records()
        .map((x) => `${JSON.stringify(x)}\n`)
        .join(''),
    );
    writeSummary(dir);
    const csv = readFileSync(path.join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify({ name: 'exp', preset: 'quick', seeds: [1, 2, 3], models: [{ model: 'vanillanet-6' }] }));
    writeSummary(dir);
    const csv2 = readFileSync(path.join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv2).toHaveLength(1 + 4 + 5);
    expect(csv2[0]).toMatch(
      /^kind,experiment,preset,cell_id,model,label,deepTraining,seriesAct,runs,ok,diverged,failed,declared_seeds,n,mean_top1,sd_top1,ci95_low,ci95_high/,
    );
    expect(csv2[1]).toContain('cell,exp,quick,cell0,vanillanet-6,vanillanet-6,off,off,3,3,0,0,1 2 3,3,72.0000,2.0000,');
    expect(csv2[3]).toContain(',75.23,Table 2,');
    const saRow = csv2.find((l) => l.startsWith('effect,exp,quick,cell1,'))!;
    expect(saRow).toContain('1x,"vanillanet-6, deepTraining off, seriesAct off",10.3333,');
    expect(saRow).toContain(',3,15.65,direction reproduced,1.000,');
    // without experiment.json every verdict was interim
    expect(csv[5]).toContain('interim');
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('# Ablation exp, preset quick');
  });
});

describe('what the runs took', () => {
  it('adds up the wall times and measures the wall clock while any run was in progress (overlaps once, gaps not)', () => {
    const at = (end: string, wallSeconds: number, seed: number) => record(base, seed, 80, { date: end, wallSeconds });
    // two runs side by side (10:00-10:10 and 10:05-10:15), then a gap, then one run 11:00-11:20
    const t = runTimeOf([at('2026-01-01T10:10:00.000Z', 600, 1), at('2026-01-01T10:15:00.000Z', 600, 2), at('2026-01-01T11:20:00.000Z', 1200, 3)]);
    expect(t).toEqual({ workerSeconds: 2400, spanSeconds: 2100, first: '2026-01-01T10:00:00.000Z', last: '2026-01-01T11:20:00.000Z' });
    expect(runTimeText(t!)).toBe('0.7 worker-hours in their wall times, 35m00s of wall clock while any was in progress (2026-01-01 10:00 to 11:20 UTC)');
    expect(runTimeOf([])).toBeNull();
    expect(summaryMarkdown(summarize([at('2026-01-01T10:10:00.000Z', 600, 1)], D3))).toContain('- Runs: 1 (1 ok, 0 diverged, 0 failed); 0.2 worker-hours');
  });
});
