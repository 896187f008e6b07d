import { declarationOf, type Declaration } from '../../src/ablation/declaration.js';
import type { CellDescription } from '../../src/ablation/matrix.js';
import type { RunRecord } from '../../src/ablation/recordCheck.js';

export function cell(index: number, factors: CellDescription['factors'], opts: Partial<CellDescription> = {}): CellDescription {
  const model = opts.model ?? 'vanillanet-6';
  const toggles = {
    deepTraining: (factors.deepTraining as boolean | undefined) ?? true,
    seriesAct: (factors.seriesAct as boolean | undefined) ?? true,
    shortcut: (factors.shortcut as CellDescription['toggles']['shortcut'] | undefined) ?? 'none',
    actNum: 3,
    width: 1 / 16,
    stem: 'imagenet' as const,
  };
  const baseline: CellDescription['baseline'] = {};
  for (const k of Object.keys(factors) as (keyof typeof factors)[]) baseline[k] = k === 'shortcut' ? 'none' : false;
  return { id: `cell${index}`, index, entry: 0, model, label: model, factors, baseline, toggles, ...opts };
}

export function record(c: CellDescription, seed: number, valTop1: number | null, over: Partial<RunRecord> = {}): RunRecord {
  return {
    v: 1,
    runId: `${c.id}-s${seed}`,
    experiment: 'exp',
    preset: 'quick',
    cell: c,
    seed,
    status: 'ok',
    metrics: [],
    valTop1,
    deployValTop1: valTop1,
    trainTop1: valTop1 === null ? null : valTop1 + 5,
    wallSeconds: 1.5,
    imagesPerSec: 100,
    dataset: 'fashion-mnist/train (2000 train / 500 validation, 32x32)',
    backend: 'wasm',
    tfjsVersion: '4.22.0',
    commit: 'abc',
    machine: { cpuModel: 'cpu', cores: 2, memoryGiB: 8, platform: 'linux-x64', node: 'v20', hostname: 'host' },
    date: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** A folder's declaration (experiment.json) declaring these seeds for every model entry. */
export function declared(seeds: number[], preset = 'quick'): Declaration {
  const dataset = { trainSize: 2500, valSize: 500, inputSize: 32 };
  return declarationOf(
    { name: 'exp', preset, seeds, models: [{ model: 'vanillanet-6' }, { model: 'resnet-50' }], dataset, datasetName: 'fashion-mnist' },
    'test',
  );
}
