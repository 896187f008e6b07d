/** The globals a checkpoint's pickle may reference, and what each builds: nothing else in the file is accepted. */
import { OpaqueObject, describePickleValue, opaqueGlobal, type GlobalHandler, type PickleContext, type PickleValue } from '../pickle.js';
import { STORAGE_TYPES, TorchStorageRef, TorchTensorRef } from './torchRefs.js';

function toInt(v: PickleValue | undefined, what: string, ctx: PickleContext): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw ctx.error(`corrupt tensor record (${what} is ${v === undefined ? 'missing' : describePickleValue(v)})`);
}

function toIntTuple(v: PickleValue | undefined, what: string, ctx: PickleContext): number[] {
  if (!Array.isArray(v)) {
    throw ctx.error(`corrupt tensor record (${what} is ${v === undefined ? 'missing' : describePickleValue(v)})`);
  }
  return v.map((x, i) => toInt(x, `${what}[${i}]`, ctx));
}

function rebuildTensor(args: readonly PickleValue[], ctx: PickleContext, name: string): TorchTensorRef {
  const storage = args[0];
  if (!(storage instanceof TorchStorageRef)) {
    throw ctx.error(`unsupported pickle construct: ${name} on ${storage === undefined ? 'nothing' : describePickleValue(storage)}`);
  }
  const offset = toInt(args[1], 'storage offset', ctx);
  const shape = toIntTuple(args[2], 'size', ctx);
  const stride = toIntTuple(args[3], 'stride', ctx);
  if (shape.length !== stride.length) {
    throw ctx.error(`corrupt tensor record (size has ${shape.length} dims, stride ${stride.length})`);
  }
  return new TorchTensorRef(storage, offset, shape, stride, args[4] === true);
}

const rebuildParameter: GlobalHandler = {
  call(args, ctx) {
    const data = args[0];
    if (!(data instanceof TorchTensorRef)) {
      throw ctx.error(`unsupported pickle construct: _rebuild_parameter on ${data === undefined ? 'nothing' : describePickleValue(data)}`);
    }
    return data;
  },
};

/** numpy.dtype('f8', False, True) -> an opaque object that remembers its code. */
const numpyDtype = (typeName: string): GlobalHandler => opaqueGlobal(typeName);

/** numpy scalar(dtype, bytes) -> a JS number for common numeric dtypes, else opaque. */
const numpyScalar = (typeName: string): GlobalHandler => ({
  call(args) {
    const [dtype, raw] = args;
    if (dtype instanceof OpaqueObject && typeof dtype.args[0] === 'string' && raw instanceof Uint8Array) {
      const code = dtype.args[0];
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      if (code === 'f8' && raw.length === 8) return view.getFloat64(0, true);
      if (code === 'f4' && raw.length === 4) return view.getFloat32(0, true);
      if (code === 'i8' && raw.length === 8) {
        const v = view.getBigInt64(0, true);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      if (code === 'i4' && raw.length === 4) return view.getInt32(0, true);
      if (code === 'b1' && raw.length === 1) return raw[0] !== 0;
    }
    return new OpaqueObject(typeName, args);
  },
});

/** `_codecs.encode(str, 'latin1')`: how protocol-2 pickles spell Python 3 bytes. */
const codecsEncode: GlobalHandler = {
  call(args, ctx) {
    const [text, encoding] = args;
    if (typeof text === 'string' && (encoding === 'latin1' || encoding === 'latin-1')) {
      return new Uint8Array(Buffer.from(text, 'latin1'));
    }
    throw ctx.error('unsupported pickle construct: _codecs.encode with an encoding other than latin1');
  },
};

/** The globals a checkpoint may reference. Anything else is refused. */
export const TORCH_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map<string, GlobalHandler>([
  ['torch._utils._rebuild_tensor_v2', { call: (a, ctx) => rebuildTensor(a, ctx, '_rebuild_tensor_v2') }],
  ['torch._utils._rebuild_tensor', { call: (a, ctx) => rebuildTensor(a, ctx, '_rebuild_tensor') }],
  ['torch._utils._rebuild_parameter', rebuildParameter],
  ['torch._utils._rebuild_parameter_with_state', rebuildParameter],
  ...Object.keys(STORAGE_TYPES).map((n): [string, GlobalHandler] => [`torch.${n}`, {}]),
  // Harmless metadata some training scripts store next to the weights.
  ['argparse.Namespace', opaqueGlobal('argparse.Namespace')],
  ['numpy.dtype', numpyDtype('numpy.dtype')],
  ['numpy.core.multiarray.scalar', numpyScalar('numpy.core.multiarray.scalar')],
  ['numpy._core.multiarray.scalar', numpyScalar('numpy._core.multiarray.scalar')],
  ['_codecs.encode', codecsEncode],
]);
