/**
 * Gradient kernels for the wasm backend, checked against float64 references
 * written here with naive loops over NHWC arrays (own padding arithmetic, not
 * tfjs'), and end to end against the cpu backend's stock kernels.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGradientKernels, registeredGradientKernels, restoreStockKernels } from '../../src/backend/kernels/index.js';
import { adamwUpdate, batchNormTraining, batchNormTrainingOps, lambdaActivation, reluActivation, runningStatsUpdate } from '../../src/backend/kernels/fused.js';
import { window4d, window4dChannels } from '../../src/backend/kernels/storage.js';
import { batchNormSimdApplies } from '../../src/backend/kernels/batchNormSimd.js';
import { reluDepthwise } from '../../src/backend/kernels/seriesAct.js';
import { setSimdEnabled, simdKernels } from '../../src/backend/simd/simd.js';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];

// ---------------------------------------------------------------- helpers

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function randomArray(size: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: size }, () => r() * 2);
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Independent decoding of tfjs' padding conventions for one spatial dim. */
function dim(pad: Pad, inSize: number, k: number, s: number, axis: 0 | 1): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.ceil((inSize - k + 1) / s), before: 0 };
  if (pad === 'same') {
    const out = Math.ceil(inSize / s);
    return { out, before: Math.floor(Math.max(0, (out - 1) * s + k - inSize) / 2) };
  }
  if (typeof pad === 'number') return { out: Math.floor((inSize + 2 * pad - k) / s) + 1, before: pad };
  const [b, a] = pad[axis + 1];
  return { out: Math.floor((inSize + b + a - k) / s) + 1, before: b };
}

interface Geo {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  s: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
}

function geo(xShape: Shape4, kh: number, kw: number, s: number, pad: Pad): Geo {
  const [n, h, w, c] = xShape;
  const r = dim(pad, h, kh, s, 0);
  const q = dim(pad, w, kw, s, 1);
  return { n, h, w, c, kh, kw, s, oh: r.out, ow: q.out, top: r.before, left: q.before };
}

/** Calls fn(b, oy, ox, i, j, xOffsetPixel) for every tap that lands inside x. */
function forTaps(g: Geo, fn: (b: number, oy: number, ox: number, i: number, j: number, xp: number) => void): void {
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.s + i - g.top;
          if (iy < 0 || iy >= g.h) continue;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.s + j - g.left;
            if (ix < 0 || ix >= g.w) continue;
            fn(b, oy, ox, i, j, (b * g.h + iy) * g.w + ix);
          }
        }
      }
    }
  }
}

function refConvFilter(x: Float32Array, dy: Float32Array, g: Geo, cout: number): Float64Array {
  const dw = new Float64Array(g.kh * g.kw * g.c * cout);
  forTaps(g, (b, oy, ox, i, j, xp) => {
    const yp = ((b * g.oh + oy) * g.ow + ox) * cout;
    for (let ci = 0; ci < g.c; ci++) {
      for (let co = 0; co < cout; co++) dw[((i * g.kw + j) * g.c + ci) * cout + co] += x[xp * g.c + ci] * dy[yp + co];
    }
  });
  return dw;
}

function refConv(x: Float32Array, wt: Float32Array, g: Geo, cout: number): Float64Array {
  const y = new Float64Array(g.n * g.oh * g.ow * cout);
  forTaps(g, (b, oy, ox, i, j, xp) => {
    const yp = ((b * g.oh + oy) * g.ow + ox) * cout;
    for (let ci = 0; ci < g.c; ci++) {
      for (let co = 0; co < cout; co++) y[yp + co] += x[xp * g.c + ci] * wt[((i * g.kw + j) * g.c + ci) * cout + co];
    }
  });
  return y;
}

function refConvInput(dy: Float32Array, wt: Float32Array, g: Geo, cout: number): Float64Array {
  const dx = new Float64Array(g.n * g.h * g.w * g.c);
  forTaps(g, (b, oy, ox, i, j, xp) => {
    const yp = ((b * g.oh + oy) * g.ow + ox) * cout;
    for (let ci = 0; ci < g.c; ci++) {
      for (let co = 0; co < cout; co++) dx[xp * g.c + ci] += dy[yp + co] * wt[((i * g.kw + j) * g.c + ci) * cout + co];
    }
  });
  return dx;
}

function refDepthwise(x: Float32Array, wt: Float32Array, g: Geo, m: number): Float64Array {
  const y = new Float64Array(g.n * g.oh * g.ow * g.c * m);
  forTaps(g, (b, oy, ox, i, j, xp) => {
    const yp = ((b * g.oh + oy) * g.ow + ox) * g.c * m;
    for (let c = 0; c < g.c; c++) {
      for (let q = 0; q < m; q++) y[yp + c * m + q] += x[xp * g.c + c] * wt[((i * g.kw + j) * g.c + c) * m + q];
    }
  });
  return y;
}

function refDepthwiseFilter(x: Float32Array, dy: Float32Array, g: Geo, m: number): Float64Array {
  const dw = new Float64Array(g.kh * g.kw * g.c * m);
  forTaps(g, (b, oy, ox, i, j, xp) => {
    const yp = ((b * g.oh + oy) * g.ow + ox) * g.c * m;
    for (let c = 0; c < g.c; c++) {
      for (let q = 0; q < m; q++) dw[((i * g.kw + j) * g.c + c) * m + q] += x[xp * g.c + c] * dy[yp + c * m + q];
    }
  });
  return dw;
}

function refDepthwiseInput(dy: Float32Array, wt: Float32Array, g: Geo, m: number): Float64Array {
  const dx = new Float64Array(g.n * g.h * g.w * g.c);
  forTaps(g, (b, oy, ox, i, j, xp) => {
    const yp = ((b * g.oh + oy) * g.ow + ox) * g.c * m;
    for (let c = 0; c < g.c; c++) {
      for (let q = 0; q < m; q++) dx[xp * g.c + c] += dy[yp + c * m + q] * wt[((i * g.kw + j) * g.c + c) * m + q];
    }
  });
  return dx;
}

/** max |got - ref| / max |ref|, after checking sizes. */
function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
  }
  return maxDiff / (maxRef || 1);
}

function run(kernel: string, inputs: Record<string, tf.Tensor>, attrs: object): { values: Float32Array; shape: number[] } {
  const out = tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = out.dataSync() as Float32Array;
  const shape = out.shape;
  out.dispose();
  tf.dispose(Object.values(inputs));
  return { values, shape };
}

const TOL = 1e-4;

// ---------------------------------------------------------------- setup

let registered: string[] = [];
beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registered = registerGradientKernels('wasm');
});
afterAll(() => {
  restoreStockKernels('wasm');
});

describe('registration', () => {
  it('registers the kernels wasm lacks, idempotently', () => {
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum']) {
      expect(registered).toContain(k);
      expect(tf.getKernel(k, 'wasm')).toBeDefined();
    }
    expect(registerGradientKernels('wasm')).toEqual(registered);
  });

  it('restoreStockKernels puts the stock cpu kernels back', () => {
    const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    const names = registerGradientKernels('cpu');
    expect(names).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).not.toBe(stock);
    expect(registeredGradientKernels('cpu')).toEqual(names);
    expect(restoreStockKernels('cpu')).toEqual(names);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(stock);
    expect(registeredGradientKernels('cpu')).toEqual([]);
  });
});

// ---------------------------------------------------------------- conv2d

interface ConvCase {
  x: Shape4;
  k: [number, number];
  s: number;
  pad: Pad;
  cout: number;
}
const explicitA: Pad = [
  [0, 0],
  [2, 0],
  [1, 3],
  [0, 0],
];
const explicitB: Pad = [
  [0, 0],
  [1, 4],
  [5, 0],
  [0, 0],
];
const convCases: ConvCase[] = [
  { x: [3, 7, 9, 4], k: [1, 1], s: 1, pad: 'valid', cout: 5 },
  { x: [2, 6, 5, 3], k: [1, 1], s: 1, pad: 'valid', cout: 8 },
  { x: [3, 6, 5, 4], k: [1, 1], s: 1, pad: 'valid', cout: 4 },
  { x: [2, 5, 6, 6], k: [1, 1], s: 1, pad: 'valid', cout: 3 },
  // SIMD weight gradient (cin % 4, cout % 8): one 64-row chunk and a partial one, several 4 x 8 blocks
  { x: [3, 7, 9, 8], k: [1, 1], s: 1, pad: 'valid', cout: 16 },
  { x: [1, 5, 6, 4], k: [1, 1], s: 1, pad: 'valid', cout: 8 },
  { x: [2, 1, 1, 12], k: [1, 1], s: 1, pad: 'valid', cout: 24 },
  { x: [2, 7, 9, 4], k: [1, 1], s: 2, pad: 'same', cout: 3 },
  { x: [2, 7, 9, 3], k: [1, 1], s: 1, pad: 1, cout: 2 },
  ...(['same', 'valid', 1, 2, explicitA] as Pad[]).flatMap((pad) => [
    { x: [2, 7, 9, 3] as Shape4, k: [3, 3] as [number, number], s: 1, pad, cout: 4 },
    { x: [2, 7, 9, 3] as Shape4, k: [3, 3] as [number, number], s: 2, pad, cout: 4 },
  ]),
  { x: [2, 9, 7, 3], k: [3, 3], s: 4, pad: 1, cout: 2 },
  { x: [2, 32, 32, 3], k: [4, 4], s: 4, pad: 'valid', cout: 8 },
  { x: [2, 7, 9, 3], k: [4, 4], s: 4, pad: 'same', cout: 5 },
  { x: [2, 9, 7, 2], k: [4, 4], s: 2, pad: explicitA, cout: 3 },
  { x: [2, 7, 9, 2], k: [7, 7], s: 1, pad: 'same', cout: 3 },
  { x: [2, 7, 9, 2], k: [2, 3], s: 1, pad: explicitB, cout: 3 },
  // conv_bwd_filter (any other conv on the SIMD path): chunks of output rows (>= 64 pixels) with a partial last
  // one, channels already multiples of 4 / 8 (no widening) and widened ones (5 -> 8, 12 -> 16), strides 1 and 2
  { x: [4, 10, 10, 8], k: [3, 3], s: 1, pad: 'same', cout: 16 },
  { x: [3, 9, 10, 4], k: [3, 3], s: 2, pad: 'same', cout: 8 },
  { x: [2, 8, 8, 8], k: [1, 1], s: 2, pad: 'valid', cout: 16 },
  { x: [3, 11, 3, 5], k: [3, 3], s: 1, pad: 'valid', cout: 12 },
  { x: [2, 6, 7, 4], k: [1, 1], s: 1, pad: 'valid', cout: 2 },
  // conv_fwd (<= 4 output channels; input gradients of <= 4 input channels): rows of 9 and 13 outputs (blocks of
  // 4 and the rest), 1-4 output channels, strides 1 and 2
  { x: [2, 5, 9, 3], k: [3, 3], s: 1, pad: 'same', cout: 1 },
  { x: [2, 5, 13, 6], k: [3, 3], s: 1, pad: 'same', cout: 3 },
  { x: [2, 6, 9, 8], k: [1, 1], s: 1, pad: 'valid', cout: 4 },
  { x: [2, 7, 17, 5], k: [3, 3], s: 2, pad: 'same', cout: 2 },
];
const padName = (p: Pad) => (typeof p === 'object' ? JSON.stringify(p.slice(1, 3)) : String(p));

function checkConv(c: ConvCase, i: number): void {
  const [kh, kw] = c.k;
  const g = geo(c.x, kh, kw, c.s, c.pad);
  const xv = randomArray(size(c.x), 100 + i);
  const dyShape: Shape4 = [g.n, g.oh, g.ow, c.cout];
  const dyv = randomArray(size(dyShape), 200 + i);
  const wShape: Shape4 = [kh, kw, g.c, c.cout];
  const wv = randomArray(size(wShape), 300 + i);

  const dW = run(
    'Conv2DBackpropFilter',
    { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dyShape) },
    { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: wShape },
  );
  expect(dW.shape).toEqual(wShape);
  expect(relErr(dW.values, refConvFilter(xv, dyv, g, c.cout))).toBeLessThan(TOL);

  const dX = run(
    'Conv2DBackpropInput',
    { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, wShape) },
    { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
  );
  expect(dX.shape).toEqual(c.x);
  expect(relErr(dX.values, refConvInput(dyv, wv, g, c.cout))).toBeLessThan(TOL);

  // the forward too: narrow convs (<= 4 output channels) run on our SIMD kernel (conv2d.ts)
  const y = run('Conv2D', { x: tf.tensor(xv, c.x), filter: tf.tensor(wv, wShape) }, { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: 1 });
  expect(y.shape).toEqual(dyShape);
  expect(relErr(y.values, refConv(xv, wv, g, c.cout))).toBeLessThan(TOL);
}

/** Runs a block of kernel checks with our SIMD kernels on, then with the tf-op paths they replace. */
const bothPaths = (body: () => void) =>
  describe.each([
    ['SIMD kernels', true],
    ['tf-op path', false],
  ] as const)('%s', (_name, on) => {
    let was = true;
    beforeAll(() => {
      was = setSimdEnabled(on);
    });
    afterAll(() => {
      setSimdEnabled(was);
    });
    body();
  });

describe('SIMD kernels (src/backend/simd)', () => {
  it('kernelsWasm.ts is kernels.wat assembled (scripts/build-simd.mjs --check)', () => {
    const out = execFileSync(process.execPath, ['scripts/build-simd.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('matches');
  });

  it('run on the wasm backend in place (so the checks below test them), not on cpu nor when turned off', () => {
    expect(simdKernels(tf.backend())).toBeDefined();
    expect(simdKernels(tf.findBackend('cpu')!)).toBeUndefined();
    const was = setSimdEnabled(false);
    try {
      expect(simdKernels(tf.backend())).toBeUndefined();
    } finally {
      setSimdEnabled(was);
    }
  });
});

describe('Conv2DBackpropFilter / Conv2DBackpropInput vs float64 reference', () =>
  bothPaths(() => {
    it.each(convCases.map((c, i) => [`${c.k.join('x')} s${c.s} pad ${padName(c.pad)} x[${c.x}]`, c, i] as const))('%s', (_name, c, i) => checkConv(c, i));

    it('accepts NCHW data', () => {
      const xShape: Shape4 = [2, 7, 9, 3];
      const g = geo(xShape, 3, 3, 2, 'same');
      const dyShape: Shape4 = [g.n, g.oh, g.ow, 4];
      const wShape: Shape4 = [3, 3, 3, 4];
      const xv = randomArray(size(xShape), 50);
      const dyv = randomArray(size(dyShape), 51);
      const wv = randomArray(size(wShape), 52);
      const nchw = (v: Float32Array, s: Shape4) => tf.transpose(tf.tensor(v, s), [0, 3, 1, 2]);
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW' };
      const dW = run('Conv2DBackpropFilter', { x: nchw(xv, xShape), dy: nchw(dyv, dyShape) }, { ...attrs, filterShape: wShape });
      expect(relErr(dW.values, refConvFilter(xv, dyv, g, 4))).toBeLessThan(TOL);
      const dX = run('Conv2DBackpropInput', { dy: nchw(dyv, dyShape), filter: tf.tensor(wv, wShape) }, { ...attrs, inputShape: [2, 3, 7, 9] });
      expect(dX.shape).toEqual([2, 3, 7, 9]);
      const refNchw = tf.tidy(() => nchw(Float32Array.from(refConvInput(dyv, wv, g, 4)), xShape).dataSync());
      expect(relErr(dX.values, refNchw)).toBeLessThan(TOL);
    });
  }));

// ---------------------------------------------------------------- depthwise

interface DwCase {
  x: Shape4;
  k: [number, number];
  s: number;
  pad: Pad;
  m: number;
}
const dwCases: DwCase[] = [
  { x: [2, 7, 9, 5], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [3, 8, 8, 4], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 4, 4, 6], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 2, 2, 3], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 1, 1, 3], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 2, 3, 4], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 3, 2, 3], k: [7, 7], s: 1, pad: explicitB, m: 1 },
  { x: [2, 9, 7, 3], k: [7, 7], s: 1, pad: 'valid', m: 1 },
  { x: [2, 7, 9, 3], k: [7, 7], s: 1, pad: 2, m: 1 },
  { x: [2, 7, 9, 3], k: [7, 7], s: 1, pad: explicitB, m: 1 },
  { x: [2, 7, 9, 3], k: [7, 7], s: 2, pad: 'same', m: 1 },
  { x: [2, 7, 9, 3], k: [3, 3], s: 1, pad: 'valid', m: 1 },
  { x: [2, 7, 9, 3], k: [3, 3], s: 2, pad: 'same', m: 1 },
  { x: [2, 7, 9, 3], k: [3, 3], s: 1, pad: explicitA, m: 1 },
  { x: [2, 9, 7, 3], k: [4, 4], s: 4, pad: 'valid', m: 1 },
  { x: [2, 7, 9, 3], k: [4, 4], s: 1, pad: 1, m: 1 },
  { x: [2, 7, 9, 3], k: [5, 5], s: 1, pad: 'same', m: 1 },
  { x: [2, 7, 9, 3], k: [1, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 7, 9, 3], k: [3, 3], s: 1, pad: 'same', m: 2 },
  { x: [2, 7, 9, 2], k: [4, 4], s: 2, pad: 'valid', m: 3 },
  // SIMD kernels (channels % 4): rows of 1-3, 5 and 9 outputs (blocks of 4 and the rest), cropped filters,
  // negative pads (crops), filters of 1-3 and 5 taps in a row
  { x: [2, 7, 9, 8], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 3, 5, 4], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 2, 2, 12], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [1, 6, 3, 4], k: [7, 7], s: 1, pad: explicitB, m: 1 },
  { x: [2, 9, 7, 4], k: [7, 7], s: 1, pad: 'valid', m: 1 },
  { x: [2, 7, 9, 8], k: [3, 3], s: 1, pad: explicitA, m: 1 },
  { x: [2, 7, 9, 4], k: [1, 5], s: 1, pad: 'same', m: 1 },
  { x: [2, 7, 9, 4], k: [2, 1], s: 1, pad: 'valid', m: 1 },
  // the filter gradient's last KW % 4 taps as one more block of 4 on whole pixels: 1, 2 and 3 taps left over
  { x: [2, 7, 9, 4], k: [2, 6], s: 1, pad: 'same', m: 1 },
  { x: [2, 5, 11, 8], k: [3, 9], s: 1, pad: 'same', m: 1 },
  // lane pixels (laneWidth): 1, 2, 3 and 6 channels in vectors of 4 lanes, rows of 1-3 and 5 lane pixels; rows
  // whose floats do not fill whole lane pixels (9 x 2, 7 x 3) keep the other path
  { x: [2, 8, 8, 2], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 5, 10, 2], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 2, 2, 2], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 6, 9, 2], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 5, 20, 1], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 7, 12, 1], k: [3, 3], s: 1, pad: explicitA, m: 1 },
  { x: [2, 4, 20, 3], k: [7, 7], s: 1, pad: 'same', m: 1 },
  { x: [2, 6, 8, 3], k: [5, 5], s: 1, pad: 'same', m: 1 },
  { x: [2, 6, 7, 3], k: [5, 5], s: 1, pad: 'same', m: 1 },
  { x: [1, 5, 6, 6], k: [7, 7], s: 1, pad: 'same', m: 1 },
];

function checkDepthwise(c: DwCase, i: number): void {
  const [kh, kw] = c.k;
  const g = geo(c.x, kh, kw, c.s, c.pad);
  const xv = randomArray(size(c.x), 400 + i);
  const dyShape: Shape4 = [g.n, g.oh, g.ow, g.c * c.m];
  const dyv = randomArray(size(dyShape), 500 + i);
  const wShape: Shape4 = [kh, kw, g.c, c.m];
  const wv = randomArray(size(wShape), 600 + i);

  const dW = run(
    'DepthwiseConv2dNativeBackpropFilter',
    { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dyShape) },
    { strides: c.s, pad: c.pad, dilations: 1, filterShape: wShape },
  );
  expect(dW.shape).toEqual(wShape);
  expect(relErr(dW.values, refDepthwiseFilter(xv, dyv, g, c.m))).toBeLessThan(TOL);

  const dX = run(
    'DepthwiseConv2dNativeBackpropInput',
    { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, wShape) },
    { strides: c.s, pad: c.pad, dilations: 1, inputShape: c.x },
  );
  expect(dX.shape).toEqual(c.x);
  expect(relErr(dX.values, refDepthwiseInput(dyv, wv, g, c.m))).toBeLessThan(TOL);

  const y = run(
    'DepthwiseConv2dNative',
    { x: tf.tensor(xv, c.x), filter: tf.tensor(wv, wShape) },
    { strides: c.s, pad: c.pad, dilations: 1, dataFormat: 'NHWC' },
  );
  expect(y.shape).toEqual(dyShape);
  expect(relErr(y.values, refDepthwise(xv, wv, g, c.m))).toBeLessThan(TOL);
}

describe('depthwise backprop filter / input (and forward) vs float64 reference', () =>
  bothPaths(() => {
    it.each(dwCases.map((c, i) => [`${c.k.join('x')} s${c.s} pad ${padName(c.pad)} m${c.m} x[${c.x}]`, c, i] as const))('%s', (_name, c, i) =>
      checkDepthwise(c, i),
    );
  }));

describe("window4d / window4dChannels (pads, crops and channel widening of the conv kernels' inputs)", () =>
  bothPaths(() => {
    it.each([
      [-2, 0, 9, 5, 1, 1, 3],
      [3, 0, 4, 5, 1, 1, 3],
      [2, 0, 7, 5, 1, 1, 3],
      [-1, -1, 8, 8, 1, 1, 3],
      [1, 2, 3, 2, 1, 1, 3],
      [0, 0, 3, 3, 2, 2, 3],
      [-1, -1, 8, 8, 1, 1, 4],
      [2, -3, 5, 4, 1, 1, 8],
      [0, 6, 2, 3, 1, 1, 4],
      [-7, 0, 3, 5, 1, 1, 5],
    ] as const)('top %i left %i out %ix%i strides %i,%i channels 3 -> %i', (top, left, outH, outW, sh, sw, outC) => {
      const shape: Shape4 = [2, 6, 5, 3];
      const xv = randomArray(size(shape), 1400);
      const ref: number[] = [];
      for (let b = 0; b < 2; b++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            const [iy, ix] = [top + oy * sh, left + ox * sw];
            for (let k = 0; k < outC; k++) {
              ref.push(k < 3 && iy >= 0 && iy < 6 && ix >= 0 && ix < 5 ? xv[((b * 6 + iy) * 5 + ix) * 3 + k] : 0);
            }
          }
        }
      }
      const got = tf.tidy(() => {
        const x = tf.tensor(xv, shape) as tf.Tensor4D;
        return (
          outC === 3 ? window4d(tf.backend(), x, top, left, outH, outW, sh, sw) : window4dChannels(tf.backend(), x, top, left, outH, outW, outC)
        ).dataSync();
      });
      expect(Array.from(got)).toEqual(ref.map((v) => Math.fround(v)));
    });
  }));

// ---------------------------------------------------------------- max pool

const maxPoolCases: [Shape4, number, number, Pad][] = [
  [[2, 8, 8, 5], 2, 2, 'valid'],
  [[2, 7, 9, 3], 2, 2, 'valid'],
  [[2, 7, 9, 3], 3, 2, 'same'],
  [[2, 7, 9, 3], 2, 2, 'same'],
  [[1, 5, 5, 2], 3, 1, 1],
];

function checkMaxPool(xShape: Shape4, k: number, s: number, pad: Pad, ties = false): void {
  const shape = xShape;
  // Mostly negative values, so that many windows hold no positive element; with ties, few distinct values, so
  // that windows hold several equal maxima (the first one gets the gradient).
  const xv = randomArray(size(shape), 1100 + k * 10 + s).map((v) => (ties ? Math.round(v * 2) / 2 : v) - 0.6);
  const g = geo(shape, k, k, s, pad);
  const yShape: Shape4 = [g.n, g.oh, g.ow, g.c];
  const dyv = randomArray(size(yShape), 1200 + k);
  const ref = new Float64Array(size(shape));
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let c = 0; c < g.c; c++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < k; i++) {
            for (let j = 0; j < k; j++) {
              const iy = oy * s + i - g.top;
              const ix = ox * s + j - g.left;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              const p = ((b * g.h + iy) * g.w + ix) * g.c + c;
              if (xv[p] > best) {
                best = xv[p];
                at = p;
              }
            }
          }
          ref[at] += dyv[((b * g.oh + oy) * g.ow + ox) * g.c + c];
        }
      }
    }
  }
  const got = tf.tidy(() => {
    const dy = tf.tensor(dyv, yShape);
    return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, k, s, pad), dy)))(tf.tensor(xv, shape));
  });
  expect(relErr(got.dataSync(), ref)).toBeLessThan(TOL);
  got.dispose();
}

describe('MaxPoolGrad vs float64 reference (stock wasm is wrong for all-negative windows)', () => {
  it.each(maxPoolCases)('x[%s] size %i stride %i pad %s', (x, k, st, pad) => checkMaxPool(x, k, st, pad));
  it.each(maxPoolCases.slice(0, 3))('x[%s] size %i stride %i pad %s, tied maxima', (x, k, st, pad) => checkMaxPool(x, k, st, pad, true));
  it('2x2: a window whose recorded maximum matches no element (NaN) falls back to the running maximum', () => {
    const r = run(
      'MaxPoolGrad',
      {
        dy: tf.tensor([5, 7], [1, 1, 1, 2]),
        input: tf.tensor([1, NaN, 3, NaN, 2, NaN, -1, NaN], [1, 2, 2, 2]),
        output: tf.tensor([3, NaN], [1, 1, 1, 2]),
      },
      { filterSize: 2, strides: 2, pad: 'valid' },
    );
    expect(Array.from(r.values, (v) => v + 0)).toEqual([0, 0, 5, 0, 0, 0, 0, 0]);
  });
});

// ---------------------------------------------------------------- others

const reduceShape = [3, 4, 5, 6];
const reduceData = randomArray(size(reduceShape), 1300);
const reduceCases: [number[], boolean][] = [
  [[0, 1, 2], false],
  [[0, 1, 2], true],
  [[1, 2], false],
  [[0], true],
  [[0, 1], false],
  [[2], false],
  [[3], false],
  [[1, 3], true],
  [[0, 1, 2, 3], false],
];

function refReduce(axes: number[], mean: boolean): Float64Array {
  const shape = reduceShape;
  const strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const keep = [0, 1, 2, 3].filter((d) => !axes.includes(d));
  const out = new Float64Array(size(keep.map((d) => shape[d])));
  const count = size(axes.map((d) => shape[d]));
  for (let i = 0; i < reduceData.length; i++) {
    let o = 0;
    for (const d of keep) o = o * shape[d] + (Math.floor(i / strides[d]) % shape[d]);
    out[o] += mean ? reduceData[i] / count : reduceData[i];
  }
  return out;
}

function checkReduce(axes: number[], keepDims: boolean): void {
  for (const kind of ['Sum', 'Mean'] as const) {
    const r = run(kind, { x: tf.tensor(reduceData, reduceShape) }, { axis: axes, keepDims });
    const expectShape = keepDims ? reduceShape.map((d, i) => (axes.includes(i) ? 1 : d)) : reduceShape.filter((_, i) => !axes.includes(i));
    expect(r.shape).toEqual(expectShape);
    expect(relErr(r.values, refReduce(axes, kind === 'Mean'))).toBeLessThan(TOL);
  }
}

describe('Sum / Mean front-ends vs float64 reference', () => {
  it.each(reduceCases)('axes %s keepDims %s', checkReduce);
});

describe('BatchMatMul front-end and UnsortedSegmentSum', () => {
  function refMatMul(
    a: Float32Array,
    b: Float32Array,
    batch: number,
    bBatched: boolean,
    m: number,
    k: number,
    n: number,
    ta: boolean,
    tb: boolean,
  ): Float64Array {
    const out = new Float64Array(batch * m * n);
    for (let z = 0; z < batch; z++) {
      const ao = z * m * k;
      const bo = bBatched ? z * k * n : 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ao + (ta ? p * m + i : i * k + p)] * b[bo + (tb ? j * k + p : p * n + j)];
          out[(z * m + i) * n + j] = s;
        }
      }
    }
    return out;
  }

  // 7 x 9 x 5: the transposes' 4 x 4 blocks and both edges; a^T b with m % 4 == 0 and n % 8 == 0 on gemm_atb (70
  // rows: a 64-row chunk and a partial one); 8 x 12 x 16 transposes in whole blocks
  describe.each([
    [7, 9, 5],
    [8, 70, 16],
    [8, 12, 16],
  ] as const)('m %i k %i n %i', (m, k, n) =>
    bothPaths(() => {
      it.each([
        [1, false, false, false],
        [1, true, false, false],
        [1, false, true, false],
        [1, true, true, false],
        [3, false, false, false],
        [3, false, true, false],
        [3, true, false, true],
        [3, false, false, true],
      ] as const)('batch %i transposeA %s transposeB %s b batched %s', (batch, ta, tb, bBatched) => {
        const aShape = [batch, ta ? k : m, ta ? m : k];
        const bShape = [bBatched ? batch : 1, tb ? n : k, tb ? k : n];
        const av = randomArray(size(aShape), 700 + batch);
        const bv = randomArray(size(bShape), 800 + batch);
        const r = run('BatchMatMul', { a: tf.tensor(av, aShape), b: tf.tensor(bv, bShape) }, { transposeA: ta, transposeB: tb });
        expect(r.shape).toEqual([batch, m, n]);
        expect(relErr(r.values, refMatMul(av, bv, batch, bBatched, m, k, n, ta, tb))).toBeLessThan(TOL);
      });
    }),
  );

  it('gather gradient (UnsortedSegmentSum) matches a scatter-add, dropping out-of-range ids', () => {
    const xv = randomArray(6 * 4, 900);
    const idx = [0, 5, 5, 2, 0, 0, 3];
    const dyv = randomArray(idx.length * 4, 901);
    const g = tf.tidy(() => {
      const dy = tf.tensor(dyv, [idx.length, 4]);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d(idx, 'int32')), dy)))(tf.tensor(xv, [6, 4]));
    });
    const ref = new Float64Array(6 * 4);
    idx.forEach((r, i) => {
      for (let c = 0; c < 4; c++) ref[r * 4 + c] += dyv[i * 4 + c];
    });
    expect(relErr(g.dataSync(), ref)).toBeLessThan(TOL);
    g.dispose();

    const s = run('UnsortedSegmentSum', { x: tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]), segmentIds: tf.tensor1d([1, -1, 7], 'int32') }, { numSegments: 2 });
    expect(Array.from(s.values)).toEqual([0, 0, 1, 2]);
  });
});

// SIMD batch norm: lanes = lcm(C, 4) channels; C % 4 == 0, C = 1, 2 (several pixels a vector), C = 3, 6, 10
// (12- and 20-lane rows), odd row counts (the moments go two rows at a time), and element counts that are not
// whole rows (the XNNPACK form); the flag: whole rows
const bnCases: [string, number[], boolean][] = [
  ['batchNormTraining', [3, 4, 5, 6], true],
  ['batchNormTraining', [40, 10], true],
  ['batchNormTraining', [2, 3, 5, 8], true],
  ['batchNormTraining', [3, 5, 4], true],
  ['batchNormTraining', [2, 3, 3, 2], true],
  ['batchNormTraining', [5, 4, 4, 1], true],
  ['batchNormTraining', [4, 2, 3, 3], true],
  ['batchNormTraining', [2, 3, 5, 3], false],
  ['batchNormTraining', [3, 5, 2], false],
  ['batchNormTrainingOps', [3, 4, 5, 6], true],
];

describe('batch norm (training) vs float64 reference', () =>
  bothPaths(() => {
    it.each(bnCases)('%s %j: output, batch statistics and the gradients of x, gamma, beta', (impl, shapeIn, simdForm) => {
      const batchNorm = impl === 'batchNormTraining' ? batchNormTraining : batchNormTrainingOps;
      const shape = [...shapeIn];
      const c = shape[shape.length - 1];
      const rows = size(shape) / c;
      expect(tf.tidy(() => batchNormSimdApplies(tf.zeros(shape)))).toBe(simdForm);
      // channel offsets of up to 40 standard deviations: the centring must happen before the squares
      const xv = randomArray(size(shape), 1000).map((v, i) => v * 3 + 40 * (i % c));
      const gv = randomArray(c, 1001);
      const bv = randomArray(c, 1002);
      const wv = randomArray(size(shape), 1003);
      const eps = 1e-5;
      // reference: y = (x - m) / sqrt(v + eps) * g + b; loss = sum(y * w); gradients by the closed form in float64
      const m = new Float64Array(c);
      const v = new Float64Array(c);
      for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) m[k] += xv[r * c + k] / rows;
      for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) v[k] += (xv[r * c + k] - m[k]) ** 2 / rows;
      const y = new Float64Array(size(shape));
      const dx = new Float64Array(size(shape));
      const dg = new Float64Array(c);
      const db = new Float64Array(c);
      for (let k = 0; k < c; k++) {
        const rs = 1 / Math.sqrt(v[k] + eps);
        let sw = 0;
        let swh = 0;
        for (let r = 0; r < rows; r++) {
          const h = (xv[r * c + k] - m[k]) * rs;
          y[r * c + k] = h * gv[k] + bv[k];
          sw += wv[r * c + k];
          swh += wv[r * c + k] * h;
        }
        dg[k] = swh;
        db[k] = sw;
        for (let r = 0; r < rows; r++) {
          const h = (xv[r * c + k] - m[k]) * rs;
          dx[r * c + k] = gv[k] * rs * (wv[r * c + k] - sw / rows - (h * swh) / rows);
        }
      }
      const stats: number[][] = [];
      const got = tf.tidy(() => {
        const w = tf.tensor(wv, shape);
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(
            tf.mul(
              batchNorm(a, g, b, eps, (mm, vv, n) => {
                stats.push([...mm.dataSync(), ...vv.dataSync(), n]);
              }),
              w,
            ),
          );
        const out = batchNorm(tf.tensor(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv), eps).dataSync();
        const gr = tf
          .grads(f)([tf.tensor(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv)])
          .map((t) => t.dataSync());
        return [out, ...gr];
      });
      expect(relErr(got[0], y)).toBeLessThan(TOL);
      expect(relErr(got[1], dx)).toBeLessThan(TOL);
      expect(relErr(got[2], dg)).toBeLessThan(TOL);
      expect(relErr(got[3], db)).toBeLessThan(TOL);
      expect(relErr(stats[0], [...m, ...v, rows])).toBeLessThan(TOL);
    });
  }));

// the series activation's ReLU + depthwise conv as one node: 1, 2, 3 and 8 channels (lane pixels), 3x3 to 7x7
// filters, maps from P + 1 pixels up; undefined (the caller runs two ops) where a map is smaller or a row is not
// whole lane pixels
describe('reluDepthwise (ReLU + depthwise conv, one tape node) vs float64 reference', () =>
  bothPaths(() => {
    it.each([
      [[2, 8, 8, 8], 7, true],
      [[2, 5, 6, 2], 7, true],
      [[2, 4, 4, 3], 3, true],
      [[2, 6, 8, 1], 5, true],
      [[1, 4, 9, 4], 7, true],
      [[2, 3, 3, 4], 7, false],
      [[2, 6, 10, 1], 5, false],
    ] as const)('x %j, %ix%i filter', (xShape, k, fused) => {
      const g = geo([...xShape], k, k, 1, (k - 1) / 2);
      const xv = randomArray(size([...xShape]), 1500);
      const fv = randomArray(k * k * g.c, 1501);
      const wv = randomArray(size([...xShape]), 1502);
      const r = Float32Array.from(xv, (v) => Math.max(0, v));
      const y = refDepthwise(r, fv, g, 1);
      const dF = refDepthwiseFilter(r, wv, g, 1);
      const dx = refDepthwiseInput(wv, fv, g, 1).map((v, i) => (xv[i] > 0 ? v : 0));
      const got = tf.tidy(() => {
        const x = tf.tensor4d(xv, [...xShape]);
        const f = tf.tensor4d(fv, [k, k, g.c, 1]);
        const out = reluDepthwise(x, f);
        if (!out) return undefined;
        const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(reluDepthwise(a as tf.Tensor4D, b as tf.Tensor4D)!, tf.tensor(wv, [...xShape]))),
        )([x, f]);
        return [out.dataSync(), gx.dataSync(), gf.dataSync()];
      });
      expect(got !== undefined).toBe(fused && simdKernels(tf.backend()) !== undefined);
      if (!got) return;
      expect(relErr(got[0], y)).toBeLessThan(TOL);
      expect(relErr(got[1], dx)).toBeLessThan(TOL);
      expect(relErr(got[2], dF)).toBeLessThan(TOL);
    });
  }));

// the deep-training activation: SIMD (one pass each way) where the element count is a multiple of 4 ([7, 10] is not)
describe('deep-training activation', () =>
  bothPaths(() => {
    it('lambdaActivation: output and gradient vs float64 reference, and the same values as tf.leakyRelu', () => {
      for (const [shape, lambda] of [
        [[3, 4, 5, 6], 0.3],
        [[7, 10], 0],
        [[2, 3, 3, 4], 0.999],
      ] as [number[], number][]) {
        const xv = randomArray(size(shape), 1200 + shape.length);
        xv[0] = 0;
        const wv = randomArray(size(shape), 1300 + shape.length);
        const a = Math.fround(lambda);
        const y = Float64Array.from(xv, (v) => (v > 0 ? v : a * v));
        const dx = Float64Array.from(xv, (v, i) => (v > 0 ? wv[i] : a * wv[i]));
        const [got, stock] = [(t: tf.Tensor) => lambdaActivation(t, lambda), (t: tf.Tensor) => tf.leakyRelu(t, lambda)].map((act) =>
          tf.tidy(() => {
            const x = tf.tensor(xv, shape);
            const w = tf.tensor(wv, shape);
            return [
              act(x).dataSync(),
              tf
                .grad((t: tf.Tensor) => tf.sum(tf.mul(act(t), w)))(x)
                .dataSync(),
            ];
          }),
        );
        expect(relErr(got[0], y)).toBeLessThan(TOL);
        expect(relErr(got[1], dx)).toBeLessThan(TOL);
        // equal values (Prelu writes +0 where LeakyRelu gives -0 at lambda 0: + 0 folds the zero's sign)
        const same = (p: Float32Array | Int32Array | Uint8Array) => Array.from(p, (v) => v + 0);
        expect(same(got[0])).toEqual(same(stock[0]));
        expect(same(got[1])).toEqual(same(stock[1]));
      }
    });

    it('reluActivation: the values and gradient of tf.relu, bit for bit (zeros +0)', () => {
      for (const shape of [
        [3, 4, 5, 6],
        [7, 10],
      ]) {
        const xv = randomArray(size(shape), 1250);
        xv[0] = 0;
        xv[1] = -0;
        const wv = randomArray(size(shape), 1251);
        const [got, stock] = [reluActivation, (t: tf.Tensor) => tf.relu(t)].map((act) =>
          tf.tidy(() => {
            const x = tf.tensor(xv, shape);
            const w = tf.tensor(wv, shape);
            return [
              act(x).dataSync(),
              tf
                .grad((t: tf.Tensor) => tf.sum(tf.mul(act(t), w)))(x)
                .dataSync(),
            ];
          }),
        );
        expect(Array.from(got[0]).map((v) => Object.is(v, -0))).not.toContain(true);
        expect(Array.from(got[0])).toEqual(Array.from(stock[0]));
        expect(Array.from(got[1], (v) => v + 0)).toEqual(Array.from(stock[1], (v) => v + 0));
      }
    });
  }));

describe('fused training pieces vs float64 reference', () => {
  it('runningStatsUpdate: the op-by-op running mean / unbiased variance update, value for value', () => {
    const [rm, rv, bm, bv] = [1500, 1501, 1502, 1503].map((seed) => tf.tensor1d(randomArray(7, seed).map((v) => v + 1)));
    const [nm, nv] = runningStatsUpdate(rm, rv, bm, bv, 0.1, 50);
    const refM = tf.add(tf.mul(rm, 0.9), tf.mul(bm, 0.1));
    const refV = tf.add(tf.mul(rv, 0.9), tf.mul(bv, (0.1 * 50) / 49));
    expect(Array.from(nm.dataSync())).toEqual(Array.from(refM.dataSync()));
    expect(Array.from(nv.dataSync())).toEqual(Array.from(refV.dataSync()));
    tf.dispose([rm, rv, bm, bv, nm, nv, refM, refV]);
  });

  it('adamwUpdate: two steps of moments and parameters, with and without decay', () => {
    const o = { beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: 0.01 };
    for (const decay of [0, 0.05]) {
      const pv = randomArray(12, 1100);
      const gs = [randomArray(12, 1101), randomArray(12, 1102)];
      const ref = { p: Float64Array.from(pv), m: new Float64Array(12), v: new Float64Array(12) };
      const p = tf.variable(tf.tensor(pv, [3, 4]));
      const m = tf.variable(tf.zeros([3, 4]));
      const v = tf.variable(tf.zeros([3, 4]));
      gs.forEach((gv, s) => {
        const bc1 = 1 - o.beta1 ** (s + 1);
        const bc2 = 1 - o.beta2 ** (s + 1);
        for (let i = 0; i < 12; i++) {
          ref.m[i] = o.beta1 * ref.m[i] + (1 - o.beta1) * gv[i];
          ref.v[i] = o.beta2 * ref.v[i] + (1 - o.beta2) * gv[i] ** 2;
          ref.p[i] -= o.lr * (ref.m[i] / bc1 / (Math.sqrt(ref.v[i] / bc2) + o.eps) + decay * ref.p[i]);
        }
        const g = tf.tensor(gv, [3, 4]);
        adamwUpdate(p, m, v, g, { ...o, decay, bc1, bc2 });
        g.dispose();
      });
      expect(relErr(p.dataSync(), ref.p)).toBeLessThan(TOL);
      expect(relErr(m.dataSync(), ref.m)).toBeLessThan(TOL);
      expect(relErr(v.dataSync(), ref.v)).toBeLessThan(TOL);
      tf.dispose([p, m, v]);
    }
  });

  it('Identity and same-dtype Cast share storage; disposing one leaves the other intact', () => {
    const x = tf.tensor([1, 2, 3]);
    const y = x.clone();
    const z = tf.cast(x, 'float32');
    const i = tf.cast(x, 'int32');
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3]);
    expect(i.dtype).toBe('int32');
    tf.dispose([z, i]);
  });
});

describe('the same kernels registered on the cpu backend', () => {
  it('match the reference on a sample of cases', async () => {
    await tf.setBackend('cpu');
    const names = registerGradientKernels('cpu');
    try {
      expect(names.length).toBeGreaterThan(0);
      for (const i of [0, 4, 13, 16]) checkConv(convCases[i], i);
      for (const i of [0, 7, 8, 16]) checkDepthwise(dwCases[i], i);
      for (const c of maxPoolCases) checkMaxPool(...c);
      for (const c of reduceCases) checkReduce(...c);
    } finally {
      restoreStockKernels('cpu');
      await tf.setBackend('wasm');
    }
  });
});

// ---------------------------------------------------------------- end to end

describe('end-to-end gradient of a small conv net: wasm (ours) vs cpu (stock)', () => {
  const shapes: Record<string, number[]> = {
    stem: [4, 4, 3, 8],
    pw: [1, 1, 8, 6],
    dw: [7, 7, 6, 1],
    fc: [6, 4],
  };
  const xShape = [2, 16, 16, 3];
  const labels = [1, 3];

  function lossOf(x: tf.Tensor, p: Record<string, tf.Tensor>): tf.Scalar {
    let h = tf.conv2d(x as tf.Tensor4D, p.stem as tf.Tensor4D, 4, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    h = tf.leakyRelu(h, 0.1);
    h = tf.conv2d(h, p.pw as tf.Tensor4D, 1, 'valid');
    // Batch-norm from elementary ops, as the models build it.
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    h = tf.depthwiseConv2d(h, p.dw as tf.Tensor4D, 1, 'same');
    h = tf.maxPool(h, 2, 2, 'valid');
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    const logits = tf.matMul(pooled, p.fc as tf.Tensor2D);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 4), logits) as tf.Scalar;
  }

  function gradients(): Record<string, Float32Array> {
    return tf.tidy(() => {
      const params = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, tf.tensor(randomArray(size(s), 1000 + i), s)]));
      const x = tf.tensor(randomArray(size(xShape), 999), xShape);
      const names = Object.keys(params);
      const grads = tf.grads((...ps: tf.Tensor[]) => lossOf(x, Object.fromEntries(names.map((n, i) => [n, ps[i]]))))(names.map((n) => params[n]));
      return Object.fromEntries(names.map((n, i) => [n, grads[i].dataSync() as Float32Array]));
    });
  }

  it('matches to 1e-4 and leaks no tensors', async () => {
    await tf.setBackend('cpu');
    const ref = gradients();
    await tf.setBackend('wasm');
    const got = gradients();
    for (const k of Object.keys(shapes)) expect(relErr(got[k], ref[k]), k).toBeLessThan(TOL);

    const before = tf.memory();
    for (let i = 0; i < 5; i++) gradients();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });

  it('the kernels themselves leak nothing over repeated calls', () => {
    const x = tf.randomNormal([2, 8, 8, 4]);
    const w = tf.randomNormal([7, 7, 4, 1]);
    const w1 = tf.randomNormal([3, 3, 4, 5]);
    const step = () =>
      tf.tidy(() => {
        const [gx, gw, gw1] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.conv2d(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), c as tf.Tensor4D, 2, 'same')),
        )([x, w, w1]);
        return tf.stack([tf.sum(gx), tf.sum(gw), tf.sum(gw1)]);
      });
    step().dispose();
    const before = tf.memory();
    for (let i = 0; i < 10; i++) step().dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([x, w, w1]);
  });
});
