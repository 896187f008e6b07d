/**
 * What a checkpoint's pickle describes before any tensor data is read: storages (by key, class and size) and tensors
 * (strided views of a storage), and the storage classes we know.
 */
import { PickleObject } from '../pickle.js';
import type { ElementType } from '../tensor.js';

/** torch storage class name -> element type (undefined: known but unsupported). */
export const STORAGE_TYPES: Record<string, ElementType | undefined> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
  ComplexFloatStorage: undefined,
  ComplexDoubleStorage: undefined,
  ComplexHalfStorage: undefined,
  QInt8Storage: undefined,
  QUInt8Storage: undefined,
  QInt32Storage: undefined,
  QUInt4x2Storage: undefined,
  QUInt2x4Storage: undefined,
};

/** Friendly dtype names for the unsupported storage classes. */
const UNSUPPORTED_DTYPE_NAMES: Record<string, string> = {
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  ComplexHalfStorage: 'complex32',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
};

/** A storage referenced by a persistent id: `<archive>/data/<key>`. */
export class TorchStorageRef extends PickleObject {
  readonly typeName = 'torch storage';
  constructor(
    readonly key: string,
    /** e.g. 'FloatStorage'. */
    readonly storageClass: string,
    /** undefined when the storage class is not supported. */
    readonly elementType: ElementType | undefined,
    readonly numel: number,
    readonly location: string,
  ) {
    super();
  }
  /** dtype name for messages: 'float32', 'int64', 'complex64'... */
  get dtypeName(): string {
    return this.elementType ?? UNSUPPORTED_DTYPE_NAMES[this.storageClass] ?? this.storageClass;
  }
}

/** A tensor as described in the pickle: a strided view of a storage. Not yet read. */
export class TorchTensorRef extends PickleObject {
  readonly typeName = 'torch.Tensor';
  constructor(
    readonly storage: TorchStorageRef,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {
    super();
  }
  get dtype(): string {
    return this.storage.dtypeName;
  }
}
