/**
 * tfjs treats a random seed of 0 as "no seed" (it falls back to Math.random), so a derived seed that happens to be 0
 * (seed 0's first weight tensor, seed 0's first dropout mask) would make a run irreproducible. Every seed we hand to a
 * tfjs random op passes through here; nonzero seeds are unchanged, so earlier results keep their values.
 */
export function tfSeed(n: number): number {
  return n === 0 ? 0x5eed : n;
}
