/**
 * Our WebAssembly SIMD kernels (kernels.wat), run in place on tensors of the tfjs wasm backend.
 *
 * Why: what dominates a training step of the small-image cells is the 7x7 depthwise convolution of the series
 * activation (forward and both gradients) and the weight gradients of the 1x1 convolutions. XNNPACK, as built into
 * tfjs-backend-wasm 4.22, has no fast 7x7 depthwise kernel (we tiled it into 1x4 calls plus a sum) and its matrix
 * product packs the long operand of a weight gradient (n*h*w rows) anew on every call. Measured on the 2-core
 * machine, one thread, batch 64 (scratch benchmark, loaded machine): the 1x1 weight gradient [16384 x 32]^T .
 * [16384 x 32] 1.4 ms vs 7.2 ms; the 7x7 depthwise filter gradient on [64,16,16,32] 4.3 ms vs ~20 ms.
 *
 * The module imports the backend's own WebAssembly.Memory, so kernels read and write tensors where they are (a
 * pointer is the tensor's byte offset in it): nothing is copied. Where that memory is not reachable (another
 * backend, a threaded build with shared memory) `simdKernels` returns undefined and callers keep their tf-op path.
 * VANILLABENCH_SIMD=off (or setSimdEnabled(false)) turns the kernels off, to time or test the other path.
 */
import * as tf from '@tensorflow/tfjs';
import { KERNELS_WASM_BASE64 } from './kernelsWasm.js';

/** The kernels' exports; every pointer is a byte offset into the wasm backend's heap. */
export interface SimdKernels {
  /** c[M, N] = a[P, M]^T . b[P, N]; M % 4 == 0, N % 8 == 0 */
  gemmAtB(a: number, b: number, c: number, P: number, M: number, N: number): void;
  /**
   * out[b, oy, ox, c] = sum_{i<KH, j<KW} xp[b, oy+i, ox+j, c] * f[i, j, c]; xp [B, HP, WP, C]; f expanded to
   * [KH, KW, CE] lanes (CE = laneWidth(C), lane k = channel k % C); OW * C % CE == 0
   */
  dwForward(xp: number, f: number, out: number, B: number, HP: number, WP: number, C: number, OH: number, OW: number, KH: number, KW: number, CE: number): void;
  /** dw[i, j, k] = sum_{b, oy, ox} of xp * dy at lane k (channel k % C): dw is [KH, KW, CE], to be folded to C; OW * C % CE == 0 */
  dwFilterGrad(
    xp: number,
    dy: number,
    dw: number,
    B: number,
    HP: number,
    WP: number,
    C: number,
    OH: number,
    OW: number,
    KH: number,
    KW: number,
    CE: number,
  ): void;
  /**
   * dw[i, j, ci, co] = sum_{b, oy, ox} xp[b, oy*SH + i, ox*SW + j, ci] * dy[b, oy, ox, co]; xp [B, HP, WP, CIN]
   * covers every tap; CIN % 4 == 0, COUT % 4 == 0
   */
  convFilterGrad(
    xp: number,
    dy: number,
    dw: number,
    B: number,
    HP: number,
    WP: number,
    CIN: number,
    OH: number,
    OW: number,
    COUT: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
  ): void;
  /**
   * out[b, oy, ox, co] = sum_{i, j, ci} xp[b, oy*SH + i, ox*SW + j, ci] * w[i, j, ci, co]; xp [B, HP, WP, CIN] covers
   * every tap; w [KH, KW, CIN, CO4] (CO4 = COUT rounded up to 4, zero-padded); out [B, OH, OW, COUT]
   */
  convForward(
    xp: number,
    w: number,
    out: number,
    B: number,
    HP: number,
    WP: number,
    CIN: number,
    OH: number,
    OW: number,
    COUT: number,
    CO4: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
  ): void;
  /** out[b, oy, ox, k] = x[b, top + oy, left + ox, k] for k < C inside x [B, H, W, C], else 0; out [B, OH, OW, OC] */
  padCopy(x: number, out: number, B: number, H: number, W: number, C: number, top: number, left: number, OH: number, OW: number, OC: number): void;
  /** out[b, P + y, P + x, c] = max(0, x[b, y, x, c]), zero in the P-wide border; out [B, H + 2P, W + 2P, C] */
  padRelu(x: number, out: number, B: number, H: number, W: number, C: number, P: number): void;
  /** g[b, y, x, c] = 0 where rp[b, P + y, P + x, c] <= 0 (in place; rp as padRelu wrote it) */
  reluMask(g: number, rp: number, B: number, H: number, W: number, C: number, P: number): void;
  /**
   * dx[b, oy*SH + i - top, ox*SW + j - left, ci] += cols[(b*OH + oy)*OW + ox, (i*KW + j)*CIN + ci] inside dx
   * [B, H, W, CIN], which it zeroes first (col2im)
   */
  col2im(
    cols: number,
    dx: number,
    B: number,
    H: number,
    W: number,
    CIN: number,
    OH: number,
    OW: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
    top: number,
    left: number,
  ): void;
  /** y = x > 0 ? x : a x over n floats, n % 4 == 0 */
  leaky(x: number, y: number, n: number, a: number): void;
  /** dx = x > 0 ? dy : a dy over n floats, n % 4 == 0 */
  leakyGrad(dy: number, x: number, dx: number, n: number, a: number): void;
  /** out[c, r] = a[r, c] for a [R, C] */
  transpose(a: number, out: number, R: number, C: number): void;
  /** out[k] = sum_r (x[r, k] - s[k]), out[CE + k] = sum_r (x[r, k] - s[k])^2 (float64) over x [R, CE], CE % 4 == 0 */
  colMoments(x: number, s: number, R: number, CE: number, out: number): void;
  /** out[k] = sum_r dy[r, k], out[CE + k] = sum_r dy[r, k] (x[r, k] - m[k]) (float64) */
  colDySums(dy: number, x: number, m: number, R: number, CE: number, out: number): void;
  /** y[r, k] = x[r, k] p[k] + p[CE + k] */
  colAffine(x: number, p: number, R: number, CE: number, y: number): void;
  /** dx[r, k] = dy[r, k] p[k] + x[r, k] p[CE + k] + p[2 CE + k] */
  colAffine2(dy: number, x: number, p: number, R: number, CE: number, dx: number): void;
  /** byte offset of a float32 tensor's storage */
  ptr(t: tf.TensorInfo): number;
  /** a copy of `n` float64 values at byte offset `at` of the heap */
  f64(at: number, n: number): Float64Array;
  /** writes `values` as float32 at byte offset `at` of the heap */
  setF32(at: number, values: ArrayLike<number>): void;
  /** scratch memory on the backend's heap (not a tensor: no engine bookkeeping); `free` it before returning */
  malloc(bytes: number): number;
  free(at: number): void;
}

interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown }; _malloc(bytes: number): number; _free(at: number): void };
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } | undefined };
}

/**
 * Floats per "lane pixel" of a kernel that runs over rows of C-channel pixels in whole 4-lane vectors: lcm(C, 4).
 * Lane k holds channel k % C (C = 2: a vector holds two pixels); per-channel parameters are expanded to the
 * pattern, per-lane sums folded back.
 */
export function laneWidth(c: number): number {
  const g = c % 4 === 0 ? 4 : c % 2 === 0 ? 2 : 1;
  return (c * 4) / g;
}

let enabled = process.env.VANILLABENCH_SIMD !== 'off';
let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** Turns the kernels on or off (tests and benchmarks of the other path); returns the previous setting. */
export function setSimdEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** The kernels bound to `backend`'s memory, or undefined where they cannot run (see the file comment). */
export function simdKernels(backend: tf.KernelBackend): SimdKernels | undefined {
  if (!enabled) return undefined;
  const be = backend as unknown as Partial<WasmBackendLike>;
  const wasm = be.wasm;
  const memory = wasm?.asm?.memory;
  if (!wasm || !(memory instanceof WebAssembly.Memory) || !be.dataIdMap) return undefined;
  let k = instances.get(memory);
  if (!k) {
    let exports: WebAssembly.Exports;
    try {
      compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
      exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
    } catch {
      // e.g. a shared (threaded) memory, which the module's import does not accept
      return undefined;
    }
    const map = be.dataIdMap;
    type F = (...args: number[]) => void;
    k = {
      gemmAtB: exports.gemm_atb as F,
      dwForward: exports.dw_fwd as F,
      dwFilterGrad: exports.dw_bwd_filter as F,
      convFilterGrad: exports.conv_bwd_filter as F,
      padCopy: exports.pad_copy as F,
      convForward: exports.conv_fwd as F,
      transpose: exports.transpose as F,
      leaky: exports.leaky as F,
      leakyGrad: exports.leaky_grad as F,
      col2im: exports.col2im as F,
      padRelu: exports.pad_relu as F,
      reluMask: exports.relu_mask as F,
      colMoments: exports.col_moments as F,
      colDySums: exports.col_dy_sums as F,
      colAffine: exports.col_affine as F,
      colAffine2: exports.col_affine2 as F,
      ptr: (t) => {
        const d = map.get(t.dataId);
        if (!d || t.dtype !== 'float32') throw new Error(`simd kernels: not a float32 wasm tensor (${t.dtype})`);
        return d.memoryOffset;
      },
      // a copy, which a later allocation growing (detaching) the heap leaves intact
      f64: (at, n) => new Float64Array(memory.buffer.slice(at, at + 8 * n)),
      setF32: (at, values) => new Float32Array(memory.buffer, at, values.length).set(values),
      malloc: (bytes) => wasm._malloc(bytes) >>> 0,
      free: (at) => wasm._free(at),
    };
    instances.set(memory, k);
  }
  return k;
}
