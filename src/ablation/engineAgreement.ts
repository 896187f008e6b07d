/**
 * Whether the authors' PyTorch code, trained on the same protocol (`ablate --engine torch`: our data, batch order,
 * augmentation and initial weights), finds the same effects as our engine: per comparison of a folder, our paired
 * effect, PyTorch's, and ours − PyTorch paired by seed (each seed's effect by our engine minus the same seed's by
 * PyTorch), over the seeds declared for both cells that every engine ran ok. Shown beside the verdicts, never used in
 * them (they are our engine's).
 */
import type { Comparison, Summary } from './analysis.js';
import { pairedCI, type DiffCI } from '../util/stats.js';

export interface EngineAgreement {
  comparison: Comparison;
  /** the seeds with ok runs of both cells on both engines */
  seeds: number[];
  ours: DiffCI & { n: number };
  torch: DiffCI & { n: number };
  oursMinusTorch: DiffCI & { n: number };
}

/** The comparisons of a folder whose two cells both have PyTorch runs; empty when it has none. */
export function engineAgreement(s: Summary): EngineAgreement[] {
  const out: EngineAgreement[] = [];
  for (const c of s.comparisons) {
    const tc = c.cell.torch?.bySeed;
    const ta = c.against.torch?.bySeed;
    if (!tc || !ta) continue;
    const declared = c.cell.declared.filter((x) => c.against.declared.includes(x));
    const seeds = declared.filter((x) => c.cell.bySeed.has(x) && c.against.bySeed.has(x) && tc.has(x) && ta.has(x));
    if (seeds.length === 0) continue;
    const only = (m: ReadonlyMap<number, number>) => new Map(seeds.map((x) => [x, m.get(x) as number]));
    const ours = pairedCI(only(c.against.bySeed), only(c.cell.bySeed));
    const torch = pairedCI(only(ta), only(tc));
    const perSeed = (m1: ReadonlyMap<number, number>, m0: ReadonlyMap<number, number>) =>
      new Map(seeds.map((x) => [x, (m1.get(x) as number) - (m0.get(x) as number)]));
    out.push({ comparison: c, seeds, ours, torch, oursMinusTorch: pairedCI(perSeed(tc, ta), perSeed(c.cell.bySeed, c.against.bySeed)) });
  }
  return out;
}
