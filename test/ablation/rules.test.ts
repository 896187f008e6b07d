import { describe, expect, it } from 'vitest';
import {
  BOOTSTRAP_DRAWS,
  EQUIVALENCE_MARGIN,
  PAPER_NEGLIGIBLE,
  STABLE_SHARE,
  bootstrapStability,
  ciOf,
  ladderVerdict,
  ruleLines,
  seededRandom,
  trajectoryText,
  type RungEffect,
} from '../../src/ablation/rules.js';

const SEEDS = [1, 2, 3, 4, 5];
/** A complete rung: these per-seed differences for seeds 1..n, all declared. */
const rung = (label: string, diffs: number[], over: Partial<RungEffect> = {}): RungEffect => ({
  label,
  budget: 1,
  diffs: new Map(diffs.map((d, i) => [i + 1, d])),
  declared: diffs.map((_, i) => i + 1),
  gate: [],
  ...over,
});

describe('verdict rules', () => {
  it('directional paper effect: direction reproduced / opposite direction / inconclusive on the 95% CI at the largest rung, with ours/paper', () => {
    const up = ladderVerdict([rung('1x', [2, 2.5, 3, 2.2, 2.8])], 5);
    expect(up.verdict).toBe('direction reproduced');
    expect(up.ratio).toBeCloseTo(2.5 / 5, 12);
    expect(ladderVerdict([rung('1x', [-2, -2.5, -3, -2.2, -2.8])], 1).verdict).toBe('opposite direction');
    const flat = ladderVerdict([rung('1x', [-1, 1, 0.5, -0.5, 0.2])], 1);
    expect(flat.verdict).toBe('inconclusive');
    expect(flat.ratio).not.toBeNull();
  });

  it('negligible paper effect: equivalence by two one-sided tests on the 90% CI (TOST), not negligible beyond the margin', () => {
    expect(Math.abs(0.3)).toBeLessThan(PAPER_NEGLIGIBLE);
    // 90% CI well inside +-1
    const eq = ladderVerdict([rung('1x', [0.1, -0.1, 0.2, 0, 0.1, -0.2, 0.15, 0])], 0.3);
    expect(eq.verdict).toBe('negligible, as in the paper');
    expect(eq.detail).toContain('90% CI');
    // Table 3's committed before-act shortcut: 95% CI [-0.01, +0.95] reaches 0, but its 90% CI lies inside +-1
    const d = [0.47, 0.1, 0.9, 0.3, 0.8, 0.2, 0.6, 0.39];
    const c90 = ciOf(d, 0.9);
    expect(c90.low > -EQUIVALENCE_MARGIN && c90.high < EQUIVALENCE_MARGIN).toBe(true);
    expect(ladderVerdict([rung('1x', d)], -0.44).verdict).toBe('negligible, as in the paper');
    expect(ladderVerdict([rung('1x', [3, 3.5, 2.8, 3.2, 3.1])], 0.1).verdict).toBe('not negligible');
    expect(ladderVerdict([rung('1x', [0.5, 2.5, -0.5, 1.8, 1.2])], 0.1).verdict).toBe('inconclusive');
  });

  it('no paper figure: clear effect / no clear effect', () => {
    expect(ladderVerdict([rung('1x', [2, 2.5, 3])], null).verdict).toBe('clear effect');
    expect(ladderVerdict([rung('1x', [-1, 1, 0.2])], null).verdict).toBe('no clear effect');
  });

  it('interim while any rung misses a declared seed or was not run; the estimate is still computed', () => {
    const partial = rung('2x', [1, 1.2, 0.8], { declared: SEEDS });
    const v = ladderVerdict([rung('1x', [1, 1.1, 0.9, 1.2, 1]), partial], 1);
    expect(v.verdict).toBe('interim');
    expect(v.detail).toContain('2x: 3 of 5 declared seeds ok in both cells (missing 4, 5)');
    expect(v.effects[1].n).toBe(3);
    const notRun: RungEffect = { label: '4x', budget: 4, diffs: new Map(), declared: SEEDS, gate: [], notRun: true };
    expect(ladderVerdict([rung('1x', [1, 1.1, 0.9, 1.2, 1]), notRun], 1).detail).toContain('4x: not run');
    // no declaration at all (a folder without experiment.json) is interim too
    expect(ladderVerdict([rung('1x', [1, 2], { declared: [] })], 1).verdict).toBe('interim');
  });

  it('a gate at the largest rung makes the comparison untestable (and is not resampled)', () => {
    const gated = rung('1x', [5, 6, 5.5], { gate: ['VanillaNet-6 has runs near chance'] });
    const v = ladderVerdict([gated], 5);
    expect(v.verdict).toBe('untestable');
    expect(v.detail).toBe('VanillaNet-6 has runs near chance');
    expect(bootstrapStability([gated], 5, v, 'k')).toBeNull();
  });

  it('a sign flip between the two largest rungs (both CIs exclude 0) leaves the sign unsettled: untestable', () => {
    const v = ladderVerdict([rung('1x', [-2, -2.2, -1.8]), rung('2x', [-1, -1.2, -0.8]), rung('4x', [1, 1.2, 0.8])], 1);
    expect(v.verdict).toBe('untestable');
    expect(v.detail).toBe('the ladder does not settle the sign: the CI lies below 0 at 2x and above 0 at 4x');
    expect(v.trend?.word).toBe('sign changed');
  });

  it('trend: the change from the smallest to the largest rung paired by seed; stable when its CI includes 0', () => {
    const shrinking = ladderVerdict(
      [rung('1x', [-2.7, -2.5, -2.9, -2.6, -2.8]), rung('2x', [-1.9, -2, -1.8, -1.7, -2.1]), rung('4x', [-1.2, -1.1, -1.3, -1.0, -1.35])],
      0.95,
    );
    expect(shrinking.verdict).toBe('opposite direction');
    expect(shrinking.trend?.word).toBe('shrinking');
    expect(shrinking.trend?.change.diff).toBeCloseTo(-1.19 - -2.7, 12);
    expect(trajectoryText(shrinking.effects)).toBe('-2.70 → -1.90 → -1.19 (1x → 2x → 4x)');
    const growing = ladderVerdict([rung('1x', [1, 1.1, 0.9]), rung('2x', [2, 2.1, 1.9])], 1);
    expect(growing.trend?.word).toBe('growing');
    const stable = ladderVerdict([rung('1x', [1, 2, 0.5, 1.5]), rung('2x', [1.5, 1, 1.2, 0.9])], 1);
    expect(stable.trend?.word).toBe('stable');
    expect(ladderVerdict([rung('1x', [1, 2])], 1).trend).toBeNull();
    // a single seed in both rungs (e.g. an interim rung) has no CI for the change: no trend, not 'stable'
    const one = (label: string, d: number): RungEffect => ({ ...rung(label, [d]), declared: [1, 2, 3] });
    expect(ladderVerdict([one('1x', 0.5), one('4x', 1.4)], -0.44).trend).toBeNull();
  });

  it('bootstrap stability: deterministic per key, 1 for a clear-cut effect, low for a borderline one (marked unstable below the threshold)', () => {
    const clear = [rung('1x', [5, 5.2, 4.8, 5.1, 4.9])];
    const v = ladderVerdict(clear, 5);
    expect(bootstrapStability(clear, 5, v, 'a')).toBe(1);
    // barely excludes 0: resamples often include it
    const border = [rung('1x', [0.1, 1.5, -0.2, 1.2, 0.9])];
    const b = ladderVerdict(border, 1);
    const s1 = bootstrapStability(border, 1, b, 'key');
    expect(s1).toBe(bootstrapStability(border, 1, b, 'key'));
    expect(s1).toBeGreaterThan(0);
    expect(s1).toBeLessThan(STABLE_SHARE);
    expect(Number.isInteger((s1 as number) * BOOTSTRAP_DRAWS)).toBe(true);
    // the same draw at every rung: a ladder whose rungs agree seed by seed is as stable as its largest rung
    const two = [rung('1x', [5, 5.2, 4.8, 5.1, 4.9]), rung('2x', [5, 5.2, 4.8, 5.1, 4.9])];
    expect(bootstrapStability(two, 5, ladderVerdict(two, 5), 'a')).toBe(1);
  });

  it('seededRandom is deterministic and uniform enough', () => {
    const r = seededRandom('x');
    const xs = Array.from({ length: 10000 }, r);
    expect(seededRandom('x')()).toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('the rules are generated from the constants', () => {
    const text = ruleLines().join('\n');
    expect(text).toContain(`margin ±${EQUIVALENCE_MARGIN} point`);
    expect(text).toContain(`|paper| ≥ ${PAPER_NEGLIGIBLE} point`);
    expect(text).toContain(`${BOOTSTRAP_DRAWS} bootstrap resamples`);
    expect(text).toContain(`below ${STABLE_SHARE} the verdict is marked unstable`);
  });
});
