/** Reading model weights and arrays written by Python tools (PyTorch, safetensors, NumPy). */
export {
  loadTorchStateDict,
  listTorchStateDict,
  listTorchCheckpointKeys,
  TorchCheckpoint,
  TorchTensorRef,
  TorchStorageRef,
  TORCH_GLOBALS,
  type TorchTensor,
  type TorchTensorInfo,
} from './pth.js';
export { loadSafetensors, saveSafetensors, readSafetensorsHeader, type SafetensorsEntry, type SafetensorsHeader } from './safetensors.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray } from './npy.js';
export { ZipArchive, crc32, type ZipEntry } from './zip.js';
export {
  unpickle,
  PickleDict,
  PickleObject,
  PickleGlobal,
  OpaqueObject,
  opaqueGlobal,
  describePickleValue,
  type PickleValue,
  type GlobalHandler,
  type PickleContext,
  type UnpickleOptions,
} from './pickle.js';
export { type LoadedTensor, type TensorLike, shapeSize } from './tensor.js';
