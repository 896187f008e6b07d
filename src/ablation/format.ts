/**
 * How the ablation's numbers and verdicts are written, in one place for summary.md, the ladder summary, ablate's
 * end-of-run table and REPORT.md: signs, fixed decimals, a dash for what is missing, CIs, and a verdict with its
 * stability and ratio to the paper.
 */
import type { DiffCI } from '../util/stats.js';
import { STABLE_SHARE, type EffectVerdict } from './rules.js';

export const DASH = '–';

/** "+1.23" / "-1.23"; a dash for a missing or non-finite value. */
export const signed = (x: number | null | undefined, d = 2): string =>
  x === null || x === undefined || !Number.isFinite(x) ? DASH : `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(d)}`;

/** Fixed decimals; a dash for a missing or non-finite value. */
export const fixed = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? DASH : x.toFixed(d));

/** "[-1.72, -0.66]", or a dash without a CI. */
export const ciText = (ci: Pick<DiffCI, 'low' | 'high' | 'half'>): string => (Number.isFinite(ci.half) ? `[${signed(ci.low)}, ${signed(ci.high)}]` : DASH);

/** "-1.19 [-1.72, -0.66]" */
export const effectText = (e: DiffCI & { n: number }): string => (e.n > 0 ? `${signed(e.diff)} ${ciText(e)}`.trim() : DASH);

/** "on" / "off" for a boolean factor value, else the value. */
export const showValue = (v: unknown): string => (v === true ? 'on' : v === false ? 'off' : String(v));

/** A stability as a share: "0.93"; a dash where not resampled. */
export const stabilityText = (s: number | null): string => (s === null ? DASH : s.toFixed(2));

/** The verdict as printed: "direction reproduced (ours/paper 0.42; stability 0.97)". */
export function verdictText(v: { verdict: EffectVerdict; stability: number | null; ladder: { ratio: number | null } }): string {
  const parts: string[] = [];
  if (v.ladder.ratio !== null && v.verdict !== 'inconclusive') parts.push(`ours/paper ${v.ladder.ratio.toFixed(2)}`);
  if (v.stability !== null) parts.push(`stability ${stabilityText(v.stability)}`);
  const unstable = v.stability !== null && v.stability < STABLE_SHARE ? 'unstable: ' : '';
  return `${unstable}${v.verdict}${parts.length ? ` (${parts.join('; ')})` : ''}`;
}
