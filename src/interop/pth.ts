/**
 * Reads PyTorch checkpoints written by torch.save (torch >= 1.6 zip format):
 *
 *   <archive>/data.pkl     the pickled object (state dict, checkpoint dict...)
 *   <archive>/data/<key>   raw little-endian storages, referenced by persistent ids
 *   <archive>/version      serialization version
 *   <archive>/byteorder    'little' (newer torch only)
 *
 * Tensors come back as float32 in C order. float32 storages are read as they
 * are; float64, float16 and bfloat16 are converted to float32; integer and
 * bool tensors (e.g. BatchNorm's num_batches_tracked) are converted when every
 * value is exactly representable (|v| <= 2^24). `dtype` says what the file held.
 * Complex and quantized tensors are rejected with "unsupported dtype X in tensor Y".
 *
 * Nothing in the file is executed: the unpickler only accepts a whitelist of
 * globals (see TORCH_GLOBALS).
 *
 * The parts, in pth/: torchRefs (what the pickle describes), torchGlobals (the whitelist),
 * legacy (the formats we refuse), checkpoint (the archive and its storages), stateDict (finding the state dict).
 */
import { PickleDict } from './pickle.js';
import { TorchCheckpoint, type TorchTensor } from './pth/checkpoint.js';
import { selectStateDict } from './pth/stateDict.js';

export { TorchCheckpoint, type TorchTensor } from './pth/checkpoint.js';
export { TORCH_GLOBALS } from './pth/torchGlobals.js';
export { TorchStorageRef, TorchTensorRef } from './pth/torchRefs.js';

/**
 * Loads a flat state dict from a torch.save checkpoint.
 *
 * - With `key` (e.g. 'model', 'model_ema', 'state_dict'): the top level must be
 *   a dict, and `top[key]` a dict of tensors.
 * - Without `key`: the top level must itself be a dict of tensors; if it is a
 *   checkpoint dict (dict of dicts), the error lists the available keys.
 *
 * Names keep the file's order. Shared storages and strided (non-contiguous)
 * tensors are handled; every tensor comes back as its own C-order copy.
 */
export function loadTorchStateDict(file: string, key?: string): Map<string, TorchTensor> {
  const ckpt = TorchCheckpoint.open(file);
  try {
    const refs = selectStateDict(file, ckpt.root, key);
    ckpt.checkStorageUse(refs.values());
    const uses = new Map<string, number>();
    for (const ref of refs.values()) uses.set(ref.storage.key, (uses.get(ref.storage.key) ?? 0) + 1);
    const out = new Map<string, TorchTensor>();
    for (const [name, ref] of refs) {
      const left = uses.get(ref.storage.key)! - 1;
      uses.set(ref.storage.key, left);
      out.set(name, ckpt.loadTensor(ref, name, left === 0));
    }
    return out;
  } finally {
    ckpt.close();
  }
}

/** Name, shape and stored dtype of one checkpoint tensor. */
export interface TorchTensorInfo {
  name: string;
  shape: number[];
  dtype: string;
}

/**
 * Lists the tensors of a state dict (names, shapes, dtypes) without reading
 * their data. `key` works as in loadTorchStateDict.
 */
export function listTorchStateDict(file: string, key?: string): TorchTensorInfo[] {
  const ckpt = TorchCheckpoint.open(file);
  try {
    return [...selectStateDict(file, ckpt.root, key)].map(([name, ref]) => ({
      name,
      shape: [...ref.shape],
      dtype: ref.dtype,
    }));
  } finally {
    ckpt.close();
  }
}

/** The string keys of the checkpoint's top-level dict ([] if the top level is not a dict). */
export function listTorchCheckpointKeys(file: string): string[] {
  const ckpt = TorchCheckpoint.open(file);
  try {
    return ckpt.root instanceof PickleDict ? [...ckpt.root.keys()].map((k) => String(k)) : [];
  } finally {
    ckpt.close();
  }
}
