/**
 * Per-kernel self time on a synchronous backend (wasm, cpu), for choosing the next optimisation from data.
 *
 * Every kernel registered for the backend is re-registered with a timed kernelFunc; a kernel that runs other
 * kernels (ours are made of tf ops) is charged only its own time, its children theirs (a stack of child totals).
 * Conv-like kernels are keyed with their filter size ("DepthwiseConv2dNative 7x7"). Timing adds about a
 * microsecond per kernel call.
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTimes {
  /** kernel key -> self milliseconds and calls, over everything run while the timers were on */
  self: Map<string, { ms: number; calls: number }>;
  /** milliseconds inside top-level kernels (the rest of a step is JS: tape, gradient functions, allocation) */
  kernelMs: number;
}

function keyOf(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): string {
  const shape = inputs.filter?.shape ?? (attrs?.filterShape as number[] | undefined);
  return shape && shape.length === 4 ? `${name} ${shape[0]}x${shape[1]}` : name;
}

/** Runs `f` with every kernel of `backendName` timed; restores the kernels afterwards. */
export async function withKernelTimers<T>(backendName: string, f: (reset: () => void) => Promise<T>): Promise<{ result: T; times: KernelTimes }> {
  const times: KernelTimes = { self: new Map(), kernelMs: 0 };
  /** `f` calls this to discard what was timed so far (set-up, warm-up) */
  const reset = () => {
    times.self.clear();
    times.kernelMs = 0;
  };
  const children: number[] = [];
  const originals = tf.getKernelsForBackend(backendName);
  const timed = (c: tf.KernelConfig): tf.KernelConfig => ({
    ...c,
    kernelFunc: (args) => {
      const t0 = performance.now();
      children.push(0);
      try {
        return c.kernelFunc(args);
      } finally {
        const dt = performance.now() - t0;
        const child = children.pop()!;
        const k = keyOf(c.kernelName, args.inputs, args.attrs);
        const e = times.self.get(k) ?? { ms: 0, calls: 0 };
        e.ms += dt - child;
        e.calls++;
        times.self.set(k, e);
        if (children.length > 0) children[children.length - 1] += dt;
        else times.kernelMs += dt;
      }
    },
  });
  const swap = (cs: tf.KernelConfig[]) => {
    for (const c of cs) {
      tf.unregisterKernel(c.kernelName, backendName);
      tf.registerKernel(c);
    }
  };
  swap(originals.map(timed));
  try {
    return { result: await f(reset), times };
  } finally {
    swap(originals);
  }
}
