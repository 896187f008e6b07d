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
  /** out[b, oy, ox, c] = sum_{i<KH, j<KW} xp[b, oy+i, ox+j, c] * f[i, j, c]; xp [B, HP, WP, C], C % 4 == 0 */
  dwForward(xp: number, f: number, out: number, B: number, HP: number, WP: number, C: number, OH: number, OW: number, KH: number, KW: number): void;
  /** dw[i, j, c] = sum_{b, oy, ox} xp[b, oy+i, ox+j, c] * dy[b, oy, ox, c]; C % 4 == 0 */
  dwFilterGrad(xp: number, dy: number, dw: number, B: number, HP: number, WP: number, C: number, OH: number, OW: number, KH: number, KW: number): void;
  /** byte offset of a float32 tensor's storage */
  ptr(t: tf.TensorInfo): number;
}

interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } | undefined };
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
  const memory = be.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !be.dataIdMap) return undefined;
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
      ptr: (t) => {
        const d = map.get(t.dataId);
        if (!d || t.dtype !== 'float32') throw new Error(`simd kernels: not a float32 wasm tensor (${t.dtype})`);
        return d.memoryOffset;
      },
    };
    instances.set(memory, k);
  }
  return k;
}
