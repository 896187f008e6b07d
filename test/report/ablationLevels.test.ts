/**
 * Which rung of a ladder the report's level table (the cells' top-1) comes from: the largest whose every cell has 2
 * ok seeds, else the rung with the most such cells, so that a larger rung where one network has run so far does not
 * hide the other networks' levels.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ladderOfFolder, summarizeFolder } from '../../src/ablation/ladder.js';
import { ladderSubtitle } from '../../src/report/ablationSection.js';
import { buildReport } from '../../src/report/report.js';
import { cell, record } from '../ablation/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vb-levels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ladder = { presets: ['full', 'full-2x'], labels: ['1x', '2x'] };
const models = [
  { model: 'vanillanet-6', label: 'VanillaNet-6' },
  { model: 'alexnet', label: 'AlexNet' },
];
const grid = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/**
 * A rung folder with both seeds of every cell of the given networks (entry 0: VanillaNet-6, 1: AlexNet); `cells`: the
 * matrix's cell count its experiment.json declares (12: a third network with no runs yet at any rung).
 */
function rung(results: string, preset: string, trainSize: number, entries: number[], cells: number): void {
  const folder = join(results, 'ablation', `table2-${preset}`);
  mkdirSync(folder, { recursive: true });
  const dataset = { name: 'default', trainSize, valSize: 500, inputSize: 32 };
  writeFileSync(
    join(folder, 'experiment.json'),
    JSON.stringify({ name: 'table2', preset, seeds: [1, 2], models, dataset, train: { epochs: 2 }, ladder, datasetName: 'fashion-mnist', cells }),
  );
  const lines = entries.flatMap((entry) =>
    grid.flatMap(([d, s], i) => {
      const c = cell(entry * 4 + i, { deepTraining: d, seriesAct: s }, { model: models[entry].model, label: models[entry].label, entry });
      return [1, 2].map((seed) => JSON.stringify(record(c, seed, 80 + entry * 5 + i + seed / 10, { experiment: 'table2', preset })));
    }),
  );
  writeFileSync(join(folder, 'runs.jsonl'), `${lines.join('\n')}\n`);
}

async function levelsOf(results: string): Promise<string> {
  const r = await buildReport({ resultsDir: results });
  const md = readFileSync(r.report, 'utf8');
  return md.slice(md.indexOf('Cells at'), md.indexOf('Cells at') + 1500);
}

describe("the report's level table along a ladder", () => {
  it('comes from the rung with the most analysable cells while a larger rung has only some networks', async () => {
    const results = join(dir, 'partial');
    rung(results, 'full', 2500, [0, 1], 12);
    rung(results, 'full-2x', 5000, [0], 12);
    const levels = await levelsOf(results);
    expect(levels).toMatch(/^Cells at 1x \(`table2-full`\)/);
    expect(levels).toContain('AlexNet');
  });

  it('comes from the largest rung once its every cell has 2 ok seeds', async () => {
    const results = join(dir, 'complete');
    rung(results, 'full', 2500, [0, 1], 8);
    rung(results, 'full-2x', 5000, [0, 1], 8);
    const levels = await levelsOf(results);
    expect(levels).toMatch(/^Cells at 2x \(`table2-full-2x`\)/);
    expect(levels).toContain('AlexNet');
  });
});

describe('the report along a ladder', () => {
  it('says what is still to run, and its effect charts name every rung they draw from', async () => {
    const results = join(dir, 'todo');
    rung(results, 'full', 2500, [0, 1], 8);
    rung(results, 'full-2x', 5000, [0], 8);
    const r = await buildReport({ resultsDir: results });
    const md = readFileSync(r.report, 'utf8');
    // AlexNet's 4 cells x 2 seeds at 2x, each timed as its fastest 1x run (1.5 s) x the budget ratio, 4500 / 2000 training images
    expect(md).toContain('- 2x (`full-2x`): 8 runs to go: ~14s on 2 workers; AlexNet 8 (~27s of one worker, timed at 1x (2026-01-01, abc))');
    const l = ladderOfFolder(join(results, 'ablation', 'table2-full'), summarizeFolder(join(results, 'ablation', 'table2-full')));
    expect(ladderSubtitle(l)).toBe('fashion-mnist/train - cpu, backend wasm - 24 ok runs (table2-full, table2-full-2x)');
  });
});
