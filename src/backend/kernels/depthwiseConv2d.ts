/**
 * Stride-1 depthwise convolution: on wasm, one call of our SIMD kernel
 * (src/backend/simd; any channel count whose lane pixels tile an output row,
 * see laneWidth); otherwise assembled from filter tiles that the wasm
 * backend's XNNPACK runs on its fast path.
 *
 * Why: XNNPACK (as built into tfjs-backend-wasm 4.22) has depthwise
 * micro-kernels for 3, 4, 9 and 25 taps; any other filter size (7x7 included)
 * falls back to a generic path several times slower per multiply-add. A kh x kw filter is
 * therefore split into tiles of a fast shape (zero-extended at the edges), one
 * depthwise conv per tile on a shifted input, and the partial results summed.
 * Used by DepthwiseConv2dNativeBackpropInput (a depthwise conv of dy with the
 * flipped filter) and, on wasm, as the forward DepthwiseConv2dNative for
 * stride-1 7x7-like filters.
 */
import * as tf from '@tensorflow/tfjs';
import { laneWidth, simdKernels, type SimdKernels } from '../simd/simd.js';
import { tensorKernel } from './common.js';
import { alloc, expandLanes, isWasmBackend, view, window4d } from './storage.js';

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Filter shapes XNNPACK's depthwise micro-kernels take directly (measured). */
const FAST_SHAPES = new Set(['1x1', '2x2', '3x3', '5x5', '1x3', '3x1', '1x4', '4x1']);

export function isFastShape(kh: number, kw: number): boolean {
  return FAST_SHAPES.has(`${kh}x${kw}`);
}

/**
 * Tile used to split slow filter sizes (a fast shape). Measured on 7x7 'same'
 * ([64,8,8,256]) and on the 8x8/4x4 "filters" of the backprop-filter trick:
 * 1x4 beat 5x5, 3x3, 2x2 and 1x3 by 15-60% (tiles are memory-bound, so
 * fewer wasted zero taps matter less than the per-call cost).
 */
function tileFor(kh: number, kw: number): [number, number] {
  return kw >= kh ? [1, 4] : [4, 1];
}

interface Span {
  start: number;
  own0: number;
  own1: number;
}

/**
 * Covers filter rows [0, k) with windows of t rows; each window owns
 * [own0, own1) and is zero elsewhere. A window may start anywhere in
 * [own1 - t, own0]; within that, prefer a start in [lo, hi], the starts for
 * which the tile's explicit padding is non-negative (no input crop needed).
 */
function spans(k: number, t: number, lo: number, hi: number): Span[] {
  const out: Span[] = [];
  for (let own0 = 0; own0 < k; own0 += t) {
    const own1 = Math.min(k, own0 + t);
    const a = own1 - t;
    const b = own0;
    const start = Math.max(a, Math.min(b, Math.max(lo, Math.min(hi, b))));
    out.push({ start, own0, own1 });
  }
  return out;
}

/**
 * out[n, oy, ox, c] = sum_{i,j} x[n, oy + i - top, ox + j - left, c] * f[i, j, c, 0]
 * with output size [oh, ow] = [h + top + bottom - kh + 1, ...]; f is [kh, kw, c, 1].
 */
export function depthwiseStride1(backend: tf.KernelBackend, x: tf.Tensor4D, f: tf.Tensor4D, pads: Pads, tile?: [number, number]): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  const [kh, kw] = f.shape;
  const oh = h + pads.top + pads.bottom - kh + 1;
  const ow = w + pads.left + pads.right - kw + 1;
  // Only taps that meet the input for some output pixel matter: on maps smaller than the filter (a 7x7 'same'
  // conv on 2x2 maps sees its central 3x3 only) the filter is cropped to them, often a fast shape (one call).
  const i0 = Math.max(0, pads.top - oh + 1);
  const i1 = Math.min(kh, pads.top + h);
  const j0 = Math.max(0, pads.left - ow + 1);
  const j1 = Math.min(kw, pads.left + w);
  if (i0 >= i1 || j0 >= j1) return tf.zeros([x.shape[0], oh, ow, c]);
  if (i1 - i0 < kh || j1 - j0 < kw) {
    const sub = subFilter(backend, f, c, { start: i0, own0: i0, own1: i1 }, { start: j0, own0: j0, own1: j1 }, i1 - i0, j1 - j0);
    const top = pads.top - i0;
    const left = pads.left - j0;
    return depthwiseStride1(
      backend,
      x,
      sub,
      {
        top,
        bottom: oh + (i1 - i0) - 1 - h - top,
        left,
        right: ow + (j1 - j0) - 1 - w - left,
      },
      tile,
    );
  }
  const simd = (ow * c) % laneWidth(c) === 0 ? simdKernels(backend) : undefined;
  if (simd) return simdDepthwise(backend, simd, x, f, pads, oh, ow);
  const crops = new Map<string, tf.Tensor4D>();
  if (isFastShape(kh, kw) || !isWasmBackend(backend)) {
    return conv(x, f, pads, oh, ow, backend, crops);
  }
  const [th, tw] = tile ?? tileFor(kh, kw);
  const parts: tf.Tensor4D[] = [];
  // Tile starts that keep its padding >= 0: start <= top and start >= h + top - oh - th + 1.
  const rows = spans(kh, th, h + pads.top - oh - th + 1, pads.top);
  const cols = spans(kw, tw, w + pads.left - ow - tw + 1, pads.left);
  for (const r of rows) {
    // Skip row tiles that only ever meet padding (small maps, large filters).
    if (r.own0 - pads.top >= h || oh - 1 + r.own1 - 1 - pads.top < 0) continue;
    for (const q of cols) {
      if (q.own0 - pads.left >= w || ow - 1 + q.own1 - 1 - pads.left < 0) continue;
      const sub = subFilter(backend, f, c, r, q, th, tw);
      const tp: Pads = {
        top: pads.top - r.start,
        bottom: oh - h - (pads.top - r.start) + th - 1,
        left: pads.left - q.start,
        right: ow - w - (pads.left - q.start) + tw - 1,
      };
      parts.push(conv(x, sub, tp, oh, ow, backend, crops));
    }
  }
  if (parts.length === 0) return tf.zeros([x.shape[0], oh, ow, c]);
  return parts.length === 1 ? parts[0] : tf.addN(parts);
}

/** The whole filter in one call of our SIMD kernel, on x padded (or cropped) to the window the output needs. */
function simdDepthwise(backend: tf.KernelBackend, simd: SimdKernels, x: tf.Tensor4D, f: tf.Tensor4D, pads: Pads, oh: number, ow: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [kh, kw] = f.shape;
  const hp = oh + kh - 1;
  const wp = ow + kw - 1;
  const { tensor } = alloc(backend, [n, oh, ow, c]);
  if (n === 0 || oh <= 0 || ow <= 0) return tensor as tf.Tensor4D;
  const same = pads.top === 0 && pads.left === 0 && hp === h && wp === w;
  const xp = same ? x : window4d(backend, x, -pads.top, -pads.left, hp, wp);
  const ce = laneWidth(c);
  const fe = expandLanes(backend, f, ce);
  simd.dwForward(simd.ptr(xp), simd.ptr(fe), simd.ptr(tensor), n, hp, wp, c, oh, ow, kh, kw, ce);
  return tensor as tf.Tensor4D;
}

/**
 * One depthwise conv with explicit pads. Negative pads (a tile whose window
 * starts past the input's padding) become a crop of x, per dimension, shared
 * between tiles through `crops`.
 */
function conv(x: tf.Tensor4D, f: tf.Tensor4D, p: Pads, oh: number, ow: number, backend: tf.KernelBackend, crops: Map<string, tf.Tensor4D>): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [kh, kw] = f.shape;
  const cropRows = p.top < 0 || p.bottom < 0;
  const cropCols = p.left < 0 || p.right < 0;
  let input = x;
  if (cropRows || cropCols) {
    const top = cropRows ? -p.top : 0;
    const left = cropCols ? -p.left : 0;
    const rows = cropRows ? oh + kh - 1 : h;
    const cols = cropCols ? ow + kw - 1 : w;
    const key = `${top},${left},${rows},${cols}`;
    let c = crops.get(key);
    if (!c) {
      c = window4d(backend, x, top, left, rows, cols);
      crops.set(key, c);
    }
    input = c;
  }
  const pt = cropRows ? 0 : p.top;
  const pb = cropRows ? 0 : p.bottom;
  const pl = cropCols ? 0 : p.left;
  const pr = cropCols ? 0 : p.right;
  return tf.depthwiseConv2d(input, f, 1, [
    [0, 0],
    [pt, pb],
    [pl, pr],
    [0, 0],
  ]);
}

/** The th x tw window of f starting at (r.start, q.start), zero outside the tile's own rows/cols. */
function subFilter(backend: tf.KernelBackend, f: tf.Tensor4D, c: number, r: Span, q: Span, th: number, tw: number): tf.Tensor4D {
  const kw = f.shape[1];
  const { tensor, values } = alloc(backend, [th, tw, c, 1]);
  const src = view(backend, f);
  values.fill(0);
  for (let i = r.own0; i < r.own1; i++) {
    for (let j = q.own0; j < q.own1; j++) {
      const s = (i * kw + j) * c;
      const d = ((i - r.start) * tw + (j - q.start)) * c;
      values.set(src.subarray(s, s + c), d);
    }
  }
  return tensor as tf.Tensor4D;
}

/**
 * DepthwiseConv2dNative front-end: stride-1, dilation-1, multiplier-1 float
 * convolutions with a filter size XNNPACK has no fast kernel for go through
 * depthwiseStride1; everything else to the stock kernel.
 */
export function depthwiseConv2dNativeConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const fast = tensorKernel(({ x, filter }, attrs, backend) => {
    const { strides, pad, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
    const f = filter as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], f.shape, strides, 1, pad, dimRoundingMode, true);
    const p = info.padInfo;
    return depthwiseStride1(backend, x as tf.Tensor4D, f, { top: p.top, bottom: p.bottom, left: p.left, right: p.right });
  });
  return {
    kernelName: tf.DepthwiseConv2dNative,
    backendName: stock.backendName,
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const { strides, dilations, dataFormat } = args.attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
      const [kh, kw, , mult] = filter.shape;
      const ones = (v: number | [number, number] | undefined) => v == null || (typeof v === 'number' ? v === 1 : v[0] === 1 && v[1] === 1);
      const handled =
        mult === 1 &&
        ones(strides) &&
        ones(dilations) &&
        !isFastShape(kh, kw) &&
        x.dtype === 'float32' &&
        filter.dtype === 'float32' &&
        x.shape.length === 4 &&
        dataFormat !== 'NCHW';
      return handled ? fast(args) : stock.kernelFunc(args);
    },
  };
}
