/**
 * Direct typed-array access to tensor storage of the `wasm` and `cpu` backends.
 *
 * Why: on the wasm backend the stock data-movement kernels are slow for our
 * shapes (Slice copies its whole input through JS first, 2-D Transpose scatters
 * its writes), while a plain JS loop over a view of the wasm heap is fast. The
 * helpers here do the copy-only parts of the gradient kernels (pad, crop,
 * im2col, col2im...) that way; the arithmetic is left to the backend's matMul
 * and convolutions.
 */
import * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../simd/simd.js';

/** The backend internals we rely on (present on MathBackendWasm / MathBackendCPU). */
interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}
interface CpuLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
  data: { get(dataId: tf.DataId): { values?: tf.BackendValues } };
}

function isWasm(backend: tf.KernelBackend): backend is tf.KernelBackend & WasmLike {
  return typeof (backend as unknown as WasmLike).typedArrayFromHeap === 'function';
}
function isCpu(backend: tf.KernelBackend): backend is tf.KernelBackend & CpuLike {
  return typeof (backend as unknown as CpuLike).makeTensorInfo === 'function' && (backend as unknown as CpuLike).data != null;
}

/** True for the wasm backend, whose XNNPACK-specific fast paths some kernels target. */
export function isWasmBackend(backend: tf.KernelBackend): boolean {
  return isWasm(backend);
}

export type NumArray = Float32Array | Int32Array;

/**
 * Allocates an output tensor whose storage is written through `values`.
 * The storage is NOT zeroed on wasm. On wasm an allocation can grow the heap,
 * which detaches earlier views: allocate first, then take views with `view()`.
 */
export function alloc(
  backend: tf.KernelBackend,
  shape: number[],
  dtype: 'float32' | 'int32' = 'float32',
): {
  tensor: tf.Tensor;
  values: NumArray;
} {
  if (isWasm(backend)) {
    const info = backend.makeOutput(shape, dtype);
    const values = backend.typedArrayFromHeap(info) as NumArray;
    return { tensor: tf.engine().makeTensorFromTensorInfo(info), values };
  }
  if (isCpu(backend)) {
    const size = tf.util.sizeFromShape(shape);
    const values = dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
    const info = backend.makeTensorInfo(shape, dtype, values);
    return { tensor: tf.engine().makeTensorFromTensorInfo(info), values };
  }
  throw new Error('gradient kernels: unsupported backend (only wasm and cpu)');
}

/** A read-only view of a tensor's storage (no copy on wasm nor cpu). */
export function view(backend: tf.KernelBackend, t: tf.TensorInfo): NumArray {
  if (isWasm(backend)) return backend.typedArrayFromHeap(t) as NumArray;
  if (isCpu(backend)) {
    const values = backend.data.get(t.dataId).values;
    if (values instanceof Float32Array || values instanceof Int32Array) return values;
  }
  return backend.readSync(t.dataId) as NumArray;
}

/**
 * out[n, oy, ox, c] = x[n, top + oy*sh, left + ox*sw, c], zero outside x.
 * One helper for pad (negative top/left), crop and strided subsampling.
 */
export function window4d(backend: tf.KernelBackend, x: tf.Tensor4D, top: number, left: number, outH: number, outW: number, sh = 1, sw = 1): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (sh === 1 && sw === 1) {
    const padded = simdWindow(backend, x, top, left, outH, outW, c);
    if (padded) return padded;
  }
  const { tensor, values: out } = alloc(backend, [n, outH, outW, c]);
  const src = view(backend, x);
  const rowLen = outW * c;
  if (left === 0 && outW === w && sh === 1 && sw === 1) {
    // Whole rows (a crop or pad in height only): one block per image, not one per row.
    const y0 = Math.min(outH, Math.max(0, -top));
    const y1 = Math.max(y0, Math.min(outH, h - top));
    for (let b = 0; b < n; b++) {
      const o = b * outH * rowLen;
      out.fill(0, o, o + y0 * rowLen);
      const s = (b * h + top + y0) * rowLen;
      out.set(src.subarray(s, s + (y1 - y0) * rowLen), o + y0 * rowLen);
      out.fill(0, o + y1 * rowLen, o + outH * rowLen);
    }
    return tensor as tf.Tensor4D;
  }
  // Valid ox range: 0 <= left + ox*sw < w.
  const ox0 = Math.min(outW, Math.max(0, Math.ceil(-left / sw)));
  const ox1 = Math.max(ox0, Math.min(outW, Math.ceil((w - left) / sw)));
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++, o += rowLen) {
      const iy = top + oy * sh;
      if (iy < 0 || iy >= h || ox0 === ox1) {
        out.fill(0, o, o + rowLen);
        continue;
      }
      const rowBase = (b * h + iy) * w * c;
      out.fill(0, o, o + ox0 * c);
      if (sw === 1) {
        const s = rowBase + (left + ox0) * c;
        out.set(src.subarray(s, s + (ox1 - ox0) * c), o + ox0 * c);
      } else if (c >= 16) {
        for (let ox = ox0; ox < ox1; ox++) {
          const s = rowBase + (left + ox * sw) * c;
          out.set(src.subarray(s, s + c), o + ox * c);
        }
      } else {
        for (let ox = ox0; ox < ox1; ox++) {
          const s = rowBase + (left + ox * sw) * c;
          const d = o + ox * c;
          for (let k = 0; k < c; k++) out[d + k] = src[s + k];
        }
      }
      out.fill(0, o + ox1 * c, o + rowLen);
    }
  }
  return tensor as tf.Tensor4D;
}

/** The stride-1 window (channels widened to outC) by our wasm kernel, one call instead of a JS loop per row. */
function simdWindow(backend: tf.KernelBackend, x: tf.Tensor4D, top: number, left: number, outH: number, outW: number, outC: number): tf.Tensor4D | undefined {
  const [n, h, w, c] = x.shape;
  const simd = c > 0 && x.dtype === 'float32' ? simdKernels(backend) : undefined;
  if (!simd) return undefined;
  const { tensor } = alloc(backend, [n, outH, outW, outC]);
  simd.padCopy(simd.ptr(x), simd.ptr(tensor), n, h, w, c, top, left, outH, outW, outC);
  return tensor as tf.Tensor4D;
}

/**
 * window4d (stride 1) that also widens the channels to `outC` >= c, zero-filled: the channel counts our SIMD
 * kernels take (multiples of 4 or 8) for tensors that have fewer.
 */
export function window4dChannels(backend: tf.KernelBackend, x: tf.Tensor4D, top: number, left: number, outH: number, outW: number, outC: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (outC === c) return window4d(backend, x, top, left, outH, outW);
  const padded = simdWindow(backend, x, top, left, outH, outW, outC);
  if (padded) return padded;
  const { tensor, values: out } = alloc(backend, [n, outH, outW, outC]);
  const src = view(backend, x);
  out.fill(0);
  const ox0 = Math.min(outW, Math.max(0, -left));
  const ox1 = Math.max(ox0, Math.min(outW, w - left));
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy = top + oy;
      if (iy < 0 || iy >= h) continue;
      let s = ((b * h + iy) * w + left + ox0) * c;
      let d = ((b * outH + oy) * outW + ox0) * outC;
      for (let ox = ox0; ox < ox1; ox++, s += c, d += outC) {
        for (let k = 0; k < c; k++) out[d + k] = src[s + k];
      }
    }
  }
  return tensor as tf.Tensor4D;
}

/**
 * The scatter counterpart of window4d: out[n, top + y*sh, left + x*sw, c] = x[n, y, x, c]
 * for every position that lands inside [outH, outW]; zero elsewhere. With
 * strides > 1 this is the zero-interleaving ("dilation") of a transposed conv.
 */
export function scatter4d(backend: tf.KernelBackend, x: tf.Tensor4D, top: number, left: number, outH: number, outW: number, sh = 1, sw = 1): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const { tensor, values: out } = alloc(backend, [n, outH, outW, c]);
  const src = view(backend, x);
  out.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const oy = top + y * sh;
      if (oy < 0 || oy >= outH) continue;
      for (let xx = 0; xx < w; xx++) {
        const ox = left + xx * sw;
        if (ox < 0 || ox >= outW) continue;
        const s = ((b * h + y) * w + xx) * c;
        const d = ((b * outH + oy) * outW + ox) * c;
        for (let k = 0; k < c; k++) out[d + k] = src[s + k];
      }
    }
  }
  return tensor as tf.Tensor4D;
}

/** f[kh-1-i, kw-1-j, ...] for a filter [kh, kw, a, b] (the stock wasm Reverse is a slow generic loop). */
export function flipSpatial(backend: tf.KernelBackend, f: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, a, b] = f.shape;
  const inner = a * b;
  const { tensor, values: out } = alloc(backend, f.shape);
  const src = view(backend, f);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s = ((kh - 1 - i) * kw + (kw - 1 - j)) * inner;
      out.set(src.subarray(s, s + inner), (i * kw + j) * inner);
    }
  }
  return tensor as tf.Tensor4D;
}

/** Geometry of a 2-D convolution, decoded once by backend_util.computeConv2DInfo. */
export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  cin: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

export function geom(info: tf.backend_util.Conv2DInfo): ConvGeom {
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    cin: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Transposed im2col from a channel-major input xT [cin, n, h, w]:
 * out[(i*kw + j)*cin + ci, (b*oh + oy)*ow + ox] = x[b, oy*sh + i - top, ox*sw + j - left, ci]
 * (zero in the padding), so that dW = out · dy2d is one plain matMul.
 */
export function im2colT(backend: tf.KernelBackend, xT: tf.Tensor4D, g: ConvGeom): tf.Tensor2D {
  const { n, h, w, cin, oh, ow, kh, kw, sh, sw, top, left } = g;
  const p = n * oh * ow;
  const { tensor, values: out } = alloc(backend, [kh * kw * cin, p]);
  const src = view(backend, xT);
  let o = 0;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const dx = j - left;
      // Valid ox range: 0 <= ox*sw + dx < w.
      const ox0 = Math.min(ow, Math.max(0, Math.ceil(-dx / sw)));
      const ox1 = Math.max(ox0, Math.min(ow, Math.ceil((w - dx) / sw)));
      for (let ci = 0; ci < cin; ci++) {
        for (let b = 0; b < n; b++) {
          const plane = (ci * n + b) * h;
          for (let oy = 0; oy < oh; oy++, o += ow) {
            const iy = oy * sh + i - top;
            if (iy < 0 || iy >= h) {
              out.fill(0, o, o + ow);
              continue;
            }
            const s = (plane + iy) * w + dx;
            for (let ox = 0; ox < ox0; ox++) out[o + ox] = 0;
            for (let ox = ox0; ox < ox1; ox++) out[o + ox] = src[s + ox * sw];
            for (let ox = ox1; ox < ow; ox++) out[o + ox] = 0;
          }
        }
      }
    }
  }
  return tensor as tf.Tensor2D;
}

/**
 * col2im: the scatter-add adjoint of im2col for a (possibly strided) conv.
 * cols[(b*oh + oy)*ow + ox, (i*kw + j)*cin + ci] is added into
 * dx[b, oy*sh + i - top, ox*sw + j - left, ci] when that lies inside the input.
 */
export function col2im(backend: tf.KernelBackend, cols: tf.Tensor2D, g: ConvGeom): tf.Tensor4D {
  const { n, h, w, cin, oh, ow, kh, kw, sh, sw, top, left } = g;
  const simd = simdKernels(backend);
  if (simd) {
    // the same scatter-add in one wasm call (the JS loop cost ~2% of a ResNet-50 step)
    const { tensor } = alloc(backend, [n, h, w, cin]);
    simd.col2im(simd.ptr(cols), simd.ptr(tensor), n, h, w, cin, oh, ow, kh, kw, sh, sw, top, left);
    return tensor as tf.Tensor4D;
  }
  const { tensor, values: out } = alloc(backend, [n, h, w, cin]);
  const src = view(backend, cols);
  out.fill(0);
  const rowLen = kh * kw * cin;
  let r = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, r += rowLen) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh + i - top;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw + j - left;
            if (ix < 0 || ix >= w) continue;
            const d = ((b * h + iy) * w + ix) * cin;
            const s = r + (i * kw + j) * cin;
            for (let k = 0; k < cin; k++) out[d + k] += src[s + k];
          }
        }
      }
    }
  }
  return tensor as tf.Tensor4D;
}

/** out[k] = sum of sums[l] over the lanes l with l % c == k (per-lane sums of a laneWidth(c) kernel, folded back). */
export function foldLanes(sums: ArrayLike<number>, c: number): Float64Array {
  const out = new Float64Array(c);
  for (let k = 0; k < sums.length; k++) out[k % c] += sums[k];
  return out;
}

/** f [kh, kw, c, 1] repeated to `ce` lanes per tap ([kh, kw, ce], lane k = channel k % c), for the lane kernels. */
export function expandLanes(backend: tf.KernelBackend, f: tf.Tensor4D, ce: number): tf.Tensor {
  const [kh, kw, c] = f.shape;
  if (ce === c) return f;
  const { tensor, values } = alloc(backend, [kh, kw, ce]);
  const src = view(backend, f);
  for (let t = 0; t < kh * kw; t++) for (let k = 0; k < ce; k++) values[t * ce + k] = src[t * c + (k % c)];
  return tensor;
}
