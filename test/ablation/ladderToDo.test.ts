import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/ablation/analysis.js';
import { analyseLadder, type LadderRung } from '../../src/ablation/ladder.js';
import { ladderToDo, toDoLines } from '../../src/ablation/ladderToDo.js';
import type { RunRecord } from '../../src/ablation/recordCheck.js';
import { cell, declared, record } from './helpers.js';

// two networks (entries 0 and 1), two cells each; 3 seeds declared at every rung
const vn = [cell(0, { seriesAct: false }), cell(1, { seriesAct: true })];
const rn = [cell(2, { seriesAct: false }, { model: 'resnet-50', entry: 1 }), cell(3, { seriesAct: true }, { model: 'resnet-50', entry: 1 })];
const seeds = [1, 2, 3];

/** ok runs of these cells and seeds, each taking `seconds(cell index, seed)` of wall time */
const runs = (cells: typeof vn, ss: number[], seconds: (i: number, s: number) => number, preset: string): RunRecord[] =>
  cells.flatMap((c) => ss.map((s) => record(c, s, 80 + s, { testTop1: 80 + s, preset, wallSeconds: seconds(c.index, s) })));

const rung = (preset: string, label: string, budget: number, records: RunRecord[] | null): LadderRung => ({
  preset,
  label,
  budget,
  folder: records ? preset : null,
  summary: records ? summarize(records, { declared: declared(seeds, preset), rungLabel: label }) : null,
});

describe('what a ladder still has to run', () => {
  it('counts the declared runs not ok yet per rung and network, each timed as its cell’s fastest run at the nearest rung, scaled by budget', () => {
    // 1x: everything, VanillaNet cells 100 s (seed 2 paused: 900 s), ResNet cells 300 s; 2x: VanillaNet seeds 1-2 only,
    // 150 s (so seed 3 at 2x is timed at 2x: 150 s); 4x not made
    const l = analyseLadder('exp', [
      rung('full', '1x', 1, [...runs(vn, seeds, (_, s) => (s === 2 ? 900 : 100), 'full'), ...runs(rn, seeds, () => 300, 'full')]),
      rung(
        'full-2x',
        '2x',
        2,
        runs(vn, [1, 2], () => 150, 'full-2x'),
      ),
      rung('full-4x', '4x', 4, null),
    ]);
    const todo = ladderToDo(l, 2);
    expect(todo.map((t) => t.label)).toEqual(['2x', '4x']);
    const [two, four] = todo;
    // 2x: 2 VanillaNet runs (seed 3 of each cell) at 150 s; 6 ResNet runs at 300 x 2 = 600 s, never run at 2x
    expect(two.networks).toEqual([
      { network: 'VanillaNet-6', runs: 2, workerSeconds: 300, untimed: 0, timedAt: ['2x (2026-01-01, abc)'] },
      { network: 'ResNet-50', runs: 6, workerSeconds: 3600, untimed: 0, timedAt: ['1x (2026-01-01, abc)'] },
    ]);
    expect(two.runs).toBe(8);
    // costliest first on 2 workers: 600 x 6 split 3/3, then 150 x 2 split 1/1
    expect(two.wallSeconds).toBe(1950);
    // 4x: VanillaNet timed at 2x (nearer than 1x): 150 x 2; ResNet at 1x: 300 x 4
    expect(four.networks.map((n) => [n.network, n.runs, n.workerSeconds, n.timedAt])).toEqual([
      ['VanillaNet-6', 6, 1800, ['2x (2026-01-01, abc)']],
      ['ResNet-50', 6, 7200, ['1x (2026-01-01, abc)']],
    ]);
    const text = toDoLines(l, 2).join('\n');
    expect(text).toContain(
      '- 2x (`full-2x`): 8 runs to go: ~32m30s on 2 workers; VanillaNet-6 2 (~5m00s of one worker, timed at 2x (2026-01-01, abc)), ResNet-50 6 (~1h00m of one worker, timed at 1x (2026-01-01, abc))',
    );
    expect(text).toContain('fastest run');
  });

  it('a complete ladder has nothing to run and no lines; a cell never timed is counted, not timed', () => {
    const full = analyseLadder('exp', [
      rung(
        'full',
        '1x',
        1,
        runs(vn, seeds, () => 100, 'full'),
      ),
    ]);
    expect(ladderToDo(full)).toEqual([]);
    expect(toDoLines(full)).toEqual([]);
    const untimed = runs(vn, [1], () => 100, 'full').map((r) => ({ ...r, status: 'failed' as const, testTop1: null, valTop1: null }));
    const l = analyseLadder('exp', [rung('full', '1x', 1, untimed)]);
    const [t] = ladderToDo(l);
    expect(t.runs).toBe(6);
    expect(t.untimed).toBe(6);
    expect(toDoLines(l)[0]).toBe('- 1x (`full`): 6 runs to go; VanillaNet-6 6 (6 never timed)');
  });
});
