/**
 * Identity and same-dtype Cast front-ends for wasm: share the input's storage (one more reference) instead of
 * copying it, as the cpu backend does. The engine runs Identity for every tensor the gradient tape saves
 * (clone) and a same-dtype Cast in each clone's gradient, so a training step made ~650 full copies of
 * activations. Safe because no kernel writes into its inputs (ours write only into storage they allocate).
 */
import * as tf from '@tensorflow/tfjs';

function shared(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  (args.backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identityConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => ((args.inputs as { x: tf.TensorInfo }).x.dtype === 'string' ? stock.kernelFunc(args) : shared(args)),
  };
}

export function castConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { dtype } = args.attrs as unknown as tf.CastAttrs;
      return x.dtype === dtype && dtype !== 'string' ? shared(args) : stock.kernelFunc(args);
    },
  };
}
