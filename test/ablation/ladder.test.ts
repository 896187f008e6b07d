import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { answerJson, answerText } from '../../src/ablation/answer.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { summarize } from '../../src/ablation/analysis.js';
import { declarationOf, type Declaration } from '../../src/ablation/declaration.js';
import { applyPreset, validateExperiment } from '../../src/ablation/experiment.js';
import { analyseLadder, readLadder, ladderFolders } from '../../src/ablation/ladder.js';
import type { RunRecord } from '../../src/ablation/recordCheck.js';
import { writeSummary } from '../../src/ablation/summary.js';
import { cell, record } from './helpers.js';

const base = cell(0, { deepTraining: false, seriesAct: false });
const sa = cell(1, { deepTraining: false, seriesAct: true });

const declaration = (seeds: number[], preset = 'full', ladder: Declaration['ladder'] = null): Declaration =>
  declarationOf(
    {
      name: 'exp',
      preset,
      seeds,
      models: [{ model: 'vanillanet-6' }],
      dataset: { trainSize: 1000, valSize: 100 },
      train: { epochs: 2 },
      ...(ladder ? { ladder } : {}),
    },
    'test',
  );

/** Records of both cells for these seeds: baseline 80 + seed/10, series act baseline + gain(seed). */
const records = (seeds: number[], gain: (s: number) => number, preset = 'full'): RunRecord[] =>
  seeds.flatMap((s) => [record(base, s, 80 + s / 10, { testTop1: 80 + s / 10, preset }), record(sa, s, null, { testTop1: 80 + s / 10 + gain(s), preset })]);

describe('pre-registered seeds', () => {
  it('a folder with fewer ok seeds than its experiment declares gives no verdict (interim), with its current estimate', () => {
    const s = summarize(
      records([1, 2, 3], () => 5),
      { declared: declaration([1, 2, 3, 4, 5]) },
    );
    const c = s.comparisons[0];
    expect(c.verdict).toBe('interim');
    expect(c.effect.diff).toBeCloseTo(5, 9);
    expect(c.detail).toContain('3 of 5 declared seeds');
    const done = summarize(
      records([1, 2, 3, 4, 5], (x) => 5 + x / 10),
      { declared: declaration([1, 2, 3, 4, 5]) },
    );
    expect(done.comparisons[0].verdict).toBe('direction reproduced');
    expect(done.comparisons[0].stability).toBe(1);
  });

  it('seeds beyond the declared ones are not used; no experiment.json: interim', () => {
    const s = summarize(
      records([1, 2, 3, 4], (x) => (x === 4 ? -100 : 5 + x / 10)),
      { declared: declaration([1, 2, 3]) },
    );
    expect(s.comparisons[0].effect.n).toBe(3);
    expect(s.comparisons[0].effect.diff).toBeCloseTo(5.2, 9);
    expect(summarize(records([1, 2, 3], () => 5)).comparisons[0].verdict).toBe('interim');
  });
});

describe('the per-run gate', () => {
  it('the same run id gets the same gate outcome in every folder: near chance is decided per run, not on a cell mean or a last-epoch gain', () => {
    // seed 3 of the series-act cell is near chance (12 % < 20 %); the other runs are far above
    const near = (s: number) => (s === 3 ? 12 - 80.3 : 5);
    const a = summarize(records([1, 2, 3], near), { declared: declaration([1, 2, 3]) });
    // the same runs plus more seeds elsewhere (another table with the same cell): the same run is flagged the same
    const b = summarize(records([1, 2, 3, 4, 5, 6, 7, 8], near), { declared: declaration([1, 2, 3, 4, 5, 6, 7, 8]) });
    for (const s of [a, b]) {
      expect(s.cells.find((c) => c.cell.id === sa.id)?.nearChance).toEqual([3]);
      expect(s.comparisons[0].verdict).toBe('untestable');
      expect(s.comparisons[0].detail).toContain('seed 3 below 20 %');
    }
    // chance follows the dataset's classes: the records' count, else the declared dataset's (CIFAR-100: 2 %)
    const classes100 = records([1, 2, 3], near).map((r) => ({ ...r, classes: 100 }));
    expect(summarize(classes100, { declared: declaration([1, 2, 3]) }).cells.find((c) => c.cell.id === sa.id)?.nearChance).toEqual([]);
    const cifar100 = { ...declaration([1, 2, 3]), datasetName: 'cifar100' };
    expect(summarize(records([1, 2, 3], near), { declared: cifar100 }).comparisons[0].verdict).not.toBe('untestable');
    // a curve still rising in its last epoch changes nothing (the last-epoch gate is gone)
    const rising = records([1, 2, 3], () => 5).map((r) => ({
      ...r,
      metrics: [
        { epoch: 1, valTop1: 50 },
        { epoch: 2, valTop1: 80 },
      ] as RunRecord['metrics'],
    }));
    expect(summarize(rising, { declared: declaration([1, 2, 3]) }).comparisons[0].verdict).toBe('direction reproduced');
  });

  it('the committed Table 2 and Table 3 folders: every run shared by both gets the same outcome', () => {
    const root = path.join(__dirname, '..', '..', 'results', 'ablation');
    const read = (d: string) =>
      readFileSync(path.join(root, d, 'runs.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as RunRecord);
    const t2 = summarize(read('table2-full'));
    const t3 = summarize(read('table3-full'));
    const flagged = (s: ReturnType<typeof summarize>) =>
      new Map(s.cells.flatMap((c) => c.seeds.map((seed) => [`${c.cell.id}/${seed}`, c.nearChance.includes(seed)])));
    const f2 = flagged(t2);
    const f3 = flagged(t3);
    const shared = [...f2.keys()].filter((k) => f3.has(k));
    expect(shared.length).toBe(5); // VanillaNet-6 with both tricks, seeds 1-5: Table 3's "none" cell
    for (const k of shared) expect(f3.get(k)).toBe(f2.get(k));
  });
});

describe('the budget ladder', () => {
  const ladder = { presets: ['full', 'full-2x', 'full-4x'], labels: ['1x', '2x', '4x'], budgets: [1, 2, 4] };
  const rungSummary = (preset: string, gain: (s: number) => number, seeds = [1, 2, 3, 4, 5]) =>
    summarize(records(seeds, gain, preset), {
      declared: declaration([1, 2, 3, 4, 5], preset, ladder),
      rungLabel: ladder.labels[ladder.presets.indexOf(preset)],
    });

  it('follows each comparison across the rungs; the verdict at the largest rung with the trajectory; interim until every rung is complete', () => {
    const rungs = [
      { preset: 'full', label: '1x', budget: 1, folder: 'a', summary: rungSummary('full', (s) => -2.7 + s / 50) },
      { preset: 'full-2x', label: '2x', budget: 2, folder: 'b', summary: rungSummary('full-2x', (s) => -1.9 + s / 40) },
      { preset: 'full-4x', label: '4x', budget: 4, folder: 'c', summary: rungSummary('full-4x', (s) => -1.2 + s / 30) },
    ];
    const l = analyseLadder('exp', rungs);
    expect(l.effects).toHaveLength(1);
    const e = l.effects[0];
    expect(e.ladder.effects.map((x) => x.diff)).toEqual([expect.closeTo(-2.64, 9), expect.closeTo(-1.825, 9), expect.closeTo(-1.1, 9)]);
    expect(e.verdict).toBe('opposite direction');
    expect(e.ladder.trend?.word).toBe('shrinking');
    expect(e.stability).toBe(1);
    const partial = analyseLadder('exp', [rungs[0], rungs[1], { preset: 'full-4x', label: '4x', budget: 4, folder: null, summary: null }]);
    expect(partial.effects[0].verdict).toBe('interim');
    expect(partial.effects[0].detail).toContain('4x: not run');
  });

  it('writeSummary of a rung writes the ladder summary beside it from the sibling folders', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ladder-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const gains: Record<string, (s: number) => number> = { full: () => 3, 'full-2x': (s) => 3.5 + s / 10, 'full-4x': (s) => 4 + s / 10 };
    for (const preset of ladder.presets) {
      const dir = path.join(root, `exp-${preset}`);
      mkdirSync(dir);
      const exp = {
        name: 'exp',
        preset,
        seeds: [1, 2, 3, 4, 5],
        models: [{ model: 'vanillanet-6' }],
        dataset: { trainSize: 1000, valSize: 100 },
        train: { epochs: 2 },
        ladder,
      };
      writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify(exp));
      writeFileSync(
        path.join(dir, 'runs.jsonl'),
        records([1, 2, 3, 4, 5], gains[preset], preset)
          .map((r) => JSON.stringify(r))
          .join('\n') + '\n',
      );
    }
    writeSummary(path.join(root, 'exp-full-4x'));
    const md = readFileSync(path.join(root, 'exp-ladder', 'summary.md'), 'utf8');
    expect(md).toContain('budget ladder full (1x) → full-2x (2x) → full-4x (4x)');
    expect(md).toContain('direction reproduced (ours/paper');
    expect(md).toContain('| +3.00 [+3.00, +3.00] | +3.80 [+3.60, +4.00] | +4.30 [+4.10, +4.50] | growing');
    const csv = readFileSync(path.join(root, 'exp-ladder', 'summary.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toContain('budget');
    expect(csv[0]).toContain('stability');
    expect(csv).toHaveLength(1 + 3);
    expect(readLadder('exp', ladderFolders(path.join(root, 'exp-full'))!).effects[0].verdict).toBe('direction reproduced');
    // the rung's own summary.md points at the ladder's
    expect(readFileSync(path.join(root, 'exp-full-4x', 'summary.md'), 'utf8')).toContain('rung 4x of the ladder full → full-2x → full-4x');
  });

  it('the experiment declares its ladder; rungs must differ only in budget and grow', () => {
    const e = {
      name: 'x',
      description: 'd',
      dataset: { name: 'synthetic', trainSize: 600, valSize: 100, inputSize: 32 },
      models: [{ model: 'vanillanet-5', width: 1 / 16 }],
      factors: { seriesAct: [false, true] },
      seeds: [1, 2],
      train: { epochs: 2 },
      presets: {
        quick: {},
        full: {},
        big: { dataset: { trainSize: 1100 } },
        more: { seeds: [1, 2, 3], dataset: { trainSize: 2100 } },
        small: { dataset: { trainSize: 350 } },
      },
      ladder: ['full', 'big'],
    };
    const ok = validateExperiment(e);
    expect(applyPreset(ok, 'big').ladder).toEqual({ presets: ['full', 'big'], labels: ['1x', '2x'], budgets: [1, 2] });
    expect(applyPreset(ok, 'quick').ladder).toBeUndefined(); // not a rung
    expect(() => validateExperiment({ ...e, ladder: ['full', 'more'] })).toThrow(/trains other models, factors or seeds/);
    expect(() => validateExperiment({ ...e, ladder: ['full', 'small'] })).toThrow(/does not train more than 'full'/);
    expect(() => validateExperiment({ ...e, ladder: ['full'] })).toThrow(/2 or more presets/);
    expect(() => validateExperiment({ ...e, ladder: ['full', 'nope'] })).toThrow(/unknown preset 'nope'/);
  });
});

describe("ablate's answer", () => {
  it('a compact table of the paper effects at the largest rung with one footnote per rule used, and the same as JSON', () => {
    const s = summarize(
      records([1, 2, 3], (x) => 5 + x / 10),
      { declared: declaration([1, 2, 3]) },
    );
    const l = analyseLadder('exp', [{ preset: 'full', label: '1x', budget: 1, folder: 'f', summary: s }]);
    const text = answerText(l);
    expect(text[0]).toBe('exp: 1 of 1 paper effects have a verdict');
    expect(text[1]).toMatch(/^comparison +difference \[95% CI\] +paper +verdict$/); // one budget: no rung label
    expect(text[2]).toMatch(
      /^vanillanet-6, deepTraining off, seriesAct on vs vanillanet-6, deepTraining off, seriesAct off +\+5\.20 \[\+4\.95, \+5\.45\] +\+15\.65 +direction reproduced \(ours\/paper 0\.33; stability 1\.00\) \[5\]$/,
    );
    expect(text[3]).toMatch(/^\[5\] Directional paper effects/);
    expect(text).toHaveLength(4);
    const json = answerJson(s, l);
    expect(json.effects[0]).toMatchObject({ verdict: 'direction reproduced', paperEffect: 15.65, stability: 1, budgets: [{ budget: '1x', pairs: 3 }] });
    expect(json.cells.map((c) => c.declaredSeeds)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(json.rules).toHaveLength(7);
  });

  it('while the largest rung has not run, each row shows the largest rung that has, named', () => {
    const ladder = { presets: ['full', 'full-2x'], labels: ['1x', '2x'], budgets: [1, 2] };
    const s = summarize(
      records([1, 2, 3], (x) => 5 + x / 10),
      { declared: declaration([1, 2, 3], 'full', ladder) },
    );
    const l = analyseLadder('exp', [
      { preset: 'full', label: '1x', budget: 1, folder: 'f', summary: s },
      { preset: 'full-2x', label: '2x', budget: 2, folder: null, summary: null },
    ]);
    const text = answerText(l);
    expect(text[0]).toBe('exp: 0 of 1 paper effects have a verdict (ladder 1x → 2x, read at 2x)');
    expect(text[1]).toMatch(/^comparison +difference \[95% CI\] at the largest rung run +paper +verdict$/);
    expect(text[2]).toMatch(/ 1x: \+5\.20 \[\+4\.95, \+5\.45\] +\+15\.65 +interim /);
  });
});
