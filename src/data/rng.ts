/**
 * Small, fast, seeded pseudo-random number generator (xoshiro128**, seeded
 * through splitmix32). Pure 32-bit integer arithmetic, so the stream is
 * identical on every platform and every run for a given seed.
 *
 * Used for data order, train/validation splits, subsets, augmentation and
 * synthetic data. Never use Math.random() in the data layer.
 */

const U32 = 0x1_0000_0000; // 2^32

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** One splitmix32 step: returns [nextState, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [s, z >>> 0];
}

/** Mixes a 32-bit value into a hash (murmur3-style finaliser on top of a multiply-xor). */
function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = rotl(k, 15);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalise(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Derives a 32-bit seed from a base seed and any number of labels (numbers or
 * strings), e.g. `deriveSeed(seed, 'order', epoch)`. Different label lists
 * give statistically independent streams; the same list always gives the
 * same seed.
 */
export function deriveSeed(seed: number, ...parts: ReadonlyArray<number | string>): number {
  let h = mix(0x5eed_1234, seed >>> 0);
  h = mix(h, Math.floor(seed / U32) >>> 0);
  for (const part of parts) {
    if (typeof part === 'number' && Number.isSafeInteger(part)) {
      h = mix(h, 0x4e554d42); // tag: number
      h = mix(h, part >>> 0);
      h = mix(h, Math.floor(part / U32) >>> 0);
    } else {
      const s = String(part);
      h = mix(h, 0x53545247 ^ s.length); // tag: string
      for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
    }
  }
  return finalise(h);
}

/** Converts a user-supplied seed (number or numeric/any string) to a uint32. */
export function normaliseSeed(seed: number | string): number {
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0 && seed < U32) return seed;
  return deriveSeed(0, typeof seed === 'number' ? seed : String(seed));
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;
  /** The seed this generator was created with (as a uint32). */
  readonly seed: number;

  constructor(seed: number | string = 0) {
    this.seed = normaliseSeed(seed);
    let st = this.seed | 0;
    let out: number;
    [st, out] = splitmix32(st);
    this.s0 = out | 0;
    [st, out] = splitmix32(st);
    this.s1 = out | 0;
    [st, out] = splitmix32(st);
    this.s2 = out | 0;
    [st, out] = splitmix32(st);
    this.s3 = out | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is forbidden
  }

  /** A new independent generator derived from this one's seed and the given labels. */
  fork(...parts: ReadonlyArray<number | string>): Rng {
    return new Rng(deriveSeed(this.seed, ...parts));
  }

  /** Next raw 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / U32;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). n must be in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > U32) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = U32 - (U32 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  intRange(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Normal deviate (Box–Muller, polar-free form). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.spareNormal = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}
