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
 * One file, in reading order: what the pickle describes (storage and tensor references), the whitelist of
 * globals, the older formats we refuse, the archive and its storages, finding the state dict, and the readers the
 * commands call. Kept hand-written: with ./pickle.ts and ./zip.ts it is the safety boundary for untrusted files.
 */
import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../util/boundedRead.js';
import { UserError, oneOf } from '../util/errors.js';
import {
  OpaqueObject,
  PickleDict,
  PickleGlobal,
  PickleObject,
  describePickleValue,
  opaqueGlobal,
  unpickle,
  type GlobalHandler,
  type PickleContext,
  type PickleValue,
} from './pickle.js';
import { decodeToFloat32, elementBytes, shapeSize, type ElementType, type LoadedTensor } from './tensor.js';
import { ZipArchive } from './zip.js';

// ---- storage and tensor references ---------------------------------------------------------------------------------

/**
 * What a checkpoint's pickle describes before any tensor data is read: storages (by key, class and size) and tensors
 * (strided views of a storage), and the storage classes we know.
 */
/** torch storage class name -> element type (undefined: known but unsupported). */
const STORAGE_TYPES: Record<string, ElementType | undefined> = {
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

// ---- the whitelist -------------------------------------------------------------------------------------------------

/** The globals a checkpoint's pickle may reference, and what each builds: nothing else in the file is accepted. */
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

// ---- formats we refuse ---------------------------------------------------------------------------------------------

/** Recognises the pre-zip torch.save formats (and plain pickles) by their first bytes, to refuse them clearly. */
/** First 12 bytes of a legacy (torch < 1.6) checkpoint: PROTO 2, LONG1 <magic 0x1950a86a20f9469cfc6c>. */
const LEGACY_MAGIC = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]);

function readHead(file: string, n: number): Buffer {
  const { fd } = openRegularFile(file, '');
  try {
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const k = readSync(fd, buf, got, n - got, got);
      if (k === 0) break;
      got += k;
    }
    return buf.subarray(0, got);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Refuses pre-zip torch.save formats with a clear message. */
function rejectLegacy(file: string): void {
  const head = readHead(file, 512);
  const legacy = 'legacy torch.save format (torch < 1.6) not supported; re-save with torch>=1.6';
  if (head.length >= LEGACY_MAGIC.length && head.subarray(0, LEGACY_MAGIC.length).equals(LEGACY_MAGIC)) {
    throw new UserError(`${file}: ${legacy}`);
  }
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
    throw new UserError(`${file}: ${legacy} (this is the tar-based format)`);
  }
  if (head.length >= 2 && head[0] === 0x80 && head[1]! <= 5) {
    throw new UserError(`${file} is a plain pickle, not a torch.save zip archive (legacy torch.save format not supported; re-save with torch>=1.6)`);
  }
}

// ---- the archive ---------------------------------------------------------------------------------------------------

/**
 * An open torch.save archive: its data.pkl unpickled (tensors as references), and the tensors' data read from their
 * storages on demand, bounded by what the references declare.
 */
/** A tensor loaded from a checkpoint: float32 data in C order plus the file's dtype. */
export type TorchTensor = LoadedTensor;

/** data.pkl holds structure, not tensor data; one larger than this is not a checkpoint we read. */
const MAX_PICKLE = 512 * 2 ** 20;
/** Bytes of a storage that no tensor of the state dict reaches, above which the checkpoint is refused. */
const UNUSED_STORAGE_SLACK = 64 * 2 ** 20;

/** An open checkpoint: the unpickled object tree, with tensors not yet read. */
export class TorchCheckpoint {
  /** The unpickled top-level object; tensors appear as TorchTensorRef. */
  readonly root: PickleValue;
  private readonly prefix: string;
  private readonly storages = new Map<string, TorchStorageRef>();
  private readonly decoded = new Map<string, Float32Array>();

  private constructor(
    readonly file: string,
    private readonly zip: ZipArchive,
  ) {
    const names = zip.names();
    const pkl = names.filter((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
    if (pkl.length === 0) {
      const ts = names.some((n) => /(^|\/)constants\.pkl$/.test(n) || /(^|\/)code\//.test(n));
      throw new UserError(
        ts
          ? `${file} is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save model.state_dict() with torch.save instead`
          : `${file}: zip archive has no data.pkl, so it is not a PyTorch checkpoint`,
      );
    }
    if (pkl.length > 1) {
      throw new UserError(`${file}: zip archive holds several data.pkl records (${pkl.join(', ')}); expected one`);
    }
    this.prefix = pkl[0]!.slice(0, -'data.pkl'.length);
    const byteorder = this.prefix + 'byteorder';
    if (zip.has(byteorder)) {
      const order = zip.read(byteorder, { maxBytes: 64 }).toString('latin1').trim();
      if (order !== 'little') {
        throw new UserError(`${file}: storages are in '${order}' byte order; only little-endian checkpoints are supported`);
      }
    }
    this.root = unpickle(zip.read(pkl[0]!, { maxBytes: MAX_PICKLE }), {
      label: `${file} (${pkl[0]})`,
      globals: TORCH_GLOBALS,
      persistentLoad: (pid, ctx) => this.persistentLoad(pid, ctx),
    });
  }

  /** Opens and unpickles a checkpoint. Call close() when done. */
  static open(file: string): TorchCheckpoint {
    rejectLegacy(file);
    let zip: ZipArchive;
    try {
      zip = ZipArchive.open(file);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`cannot read PyTorch checkpoint: ${err.message}`);
      throw err;
    }
    try {
      return new TorchCheckpoint(file, zip);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  close(): void {
    this.decoded.clear();
    this.zip.close();
  }

  /**
   * Reads a tensor's data as float32 in C order; `name` is used in error
   * messages. Decoded storages are cached for tensors that share them; pass
   * `lastUse` when no later tensor needs this one's storage, to free it (and,
   * for a tensor that is its whole storage, to skip a copy).
   */
  loadTensor(t: TorchTensorRef, name: string, lastUse = false): TorchTensor {
    const s = t.storage;
    if (s.elementType === undefined) {
      throw new UserError(
        `${this.file}: unsupported dtype ${s.dtypeName} in tensor '${name}' (only float32 is supported; float64, float16, bfloat16, integer and bool tensors are converted to float32)`,
      );
    }
    const src = this.storageData(s, name);
    if (lastUse) this.decoded.delete(s.key);
    const shape = [...t.shape];
    const n = shapeSize(shape);
    if (n === 0) return { shape, data: new Float32Array(0), dtype: s.dtypeName };
    let last = t.storageOffset;
    for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * t.stride[d]!;
    if (last >= src.length) {
      throw new UserError(
        `${this.file}: tensor '${name}' (shape [${shape.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.storageOffset}) reaches past the end of its storage (${src.length} elements)`,
      );
    }
    // Contiguous (size-1 dims may carry any stride): a plain copy.
    let contiguous = true;
    let expect = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (shape[d] !== 1 && t.stride[d] !== expect) {
        contiguous = false;
        break;
      }
      expect *= shape[d]!;
    }
    if (contiguous) {
      const whole = lastUse && t.storageOffset === 0 && n === src.length;
      return { shape, data: whole ? src : src.slice(t.storageOffset, t.storageOffset + n), dtype: s.dtypeName };
    }
    // Strided view: gather into C order.
    const out = new Float32Array(n);
    const rank = shape.length;
    const idx = new Array<number>(rank).fill(0);
    let at = t.storageOffset;
    for (let i = 0; i < n; i++) {
      out[i] = src[at]!;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        at += t.stride[d]!;
        if (idx[d]! < shape[d]!) break;
        at -= idx[d]! * t.stride[d]!;
        idx[d] = 0;
      }
    }
    return { shape, data: out, dtype: s.dtypeName };
  }

  /**
   * Refuses storages that declare far more elements than the given tensors reach (a small checkpoint must not make
   * us inflate and decode gigabytes no tensor uses). Storages a little larger than their views (a saved slice) pass.
   */
  checkStorageUse(tensors: Iterable<TorchTensorRef>): void {
    const reach = new Map<TorchStorageRef, number>();
    for (const t of tensors) {
      let end = 0;
      if (shapeSize(t.shape) > 0) {
        end = t.storageOffset + 1;
        for (let d = 0; d < t.shape.length; d++) end += (t.shape[d]! - 1) * t.stride[d]!;
      }
      reach.set(t.storage, Math.max(reach.get(t.storage) ?? 0, end));
    }
    for (const [s, used] of reach) {
      if (s.elementType === undefined) continue;
      const spare = (s.numel - used) * elementBytes(s.elementType);
      if (spare > UNUSED_STORAGE_SLACK) {
        throw new UserError(
          `${this.file}: storage '${this.prefix}data/${s.key}' declares ${s.numel} elements but its tensors use ${used}; refusing to read ${spare} bytes that no tensor uses`,
        );
      }
    }
  }

  private storageData(s: TorchStorageRef, tensorName: string): Float32Array {
    const cached = this.decoded.get(s.key);
    if (cached) return cached;
    const entry = `${this.prefix}data/${s.key}`;
    if (!this.zip.has(entry)) {
      throw new UserError(`${this.file}: storage '${entry}' for tensor '${tensorName}' is missing from the archive`);
    }
    const type = s.elementType!;
    const want = s.numel * elementBytes(type);
    const bytes = this.zip.read(entry, { maxBytes: want });
    if (bytes.length < want) {
      throw new UserError(`${this.file}: storage '${entry}' for tensor '${tensorName}' holds ${bytes.length} bytes, expected ${want} (${s.numel} × ${type})`);
    }
    const data = decodeToFloat32(bytes, type, s.numel, () => `${this.file}: tensor '${tensorName}'`);
    this.decoded.set(s.key, data);
    return data;
  }

  private persistentLoad(pid: PickleValue, ctx: PickleContext): TorchStorageRef {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw ctx.error(`unsupported pickle construct: persistent id ${Array.isArray(pid) ? `('${String(pid[0])}', ...)` : describePickleValue(pid)}`);
    }
    const [, type, key, location, numel] = pid;
    if (!(type instanceof PickleGlobal) || !type.typeName.startsWith('torch.') || !(type.typeName.slice(6) in STORAGE_TYPES)) {
      throw ctx.error(`corrupt storage record (storage type is ${describePickleValue(type!)})`);
    }
    if (typeof key !== 'string' || typeof location !== 'string' || typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) {
      throw ctx.error('corrupt storage record (expected key, location and element count)');
    }
    const storageClass = type.typeName.slice(6);
    const existing = this.storages.get(key);
    if (existing) {
      if (existing.storageClass !== storageClass) {
        throw ctx.error(`storage '${key}' is used as both ${existing.storageClass} and ${storageClass}; not supported`);
      }
      return existing;
    }
    const ref = new TorchStorageRef(key, storageClass, STORAGE_TYPES[storageClass], numel, location);
    this.storages.set(key, ref);
    return ref;
  }
}

// ---- the state dict ------------------------------------------------------------------------------------------------

/** Finds the state dict (names -> tensor references) in a checkpoint's top-level object, or says what is there. */
function isStateDict(v: PickleValue | undefined): v is PickleDict {
  if (!(v instanceof PickleDict)) return false;
  for (const [k, x] of v) if (typeof k !== 'string' || !(x instanceof TorchTensorRef)) return false;
  return true;
}

function describeEntry(v: PickleValue): string {
  if (isStateDict(v)) return `state dict, ${v.size} tensors`;
  if (v instanceof TorchTensorRef) return `tensor [${v.shape.join(', ')}]`;
  return describePickleValue(v);
}

function listKeys(d: PickleDict): string {
  return oneOf([...d].map(([k, v]) => `'${String(k)}' (${describeEntry(v)})`));
}

/**
 * Picks the state dict out of a checkpoint's top-level object (see
 * loadTorchStateDict for the rules). Throws a UserError naming the file.
 */
function selectStateDict(file: string, root: PickleValue, key: string | undefined): Map<string, TorchTensorRef> {
  let sd: PickleValue;
  let where: string;
  if (key !== undefined) {
    if (!(root instanceof PickleDict)) {
      throw new UserError(`${file}: cannot select key '${key}': the top level is not a dict (found ${describePickleValue(root)})`);
    }
    if (!root.has(key)) {
      if (isStateDict(root) && root.size > 0) {
        throw new UserError(`${file}: has no key '${key}': the file is a bare state dict of ${root.size} tensors (load it without a key)`);
      }
      throw new UserError(`${file}: has no key '${key}'; available keys: ${root.size > 0 ? listKeys(root) : '(none: the dict is empty)'}`);
    }
    sd = root.get(key)!;
    where = `'${key}'`;
  } else {
    if (!isStateDict(root)) {
      if (root instanceof PickleDict) {
        const dicts = [...root].filter(([, v]) => isStateDict(v)).map(([k]) => `'${String(k)}'`);
        throw new UserError(
          `${file}: holds a checkpoint dict, not a bare state dict; pass a key${dicts.length > 0 ? ` such as ${oneOf(dicts)}` : ''} (available keys: ${listKeys(root)})`,
        );
      }
      throw new UserError(`${file}: the top level is not a state dict, i.e. a dict of tensors (found ${describePickleValue(root)})`);
    }
    sd = root;
    where = 'the top level';
  }
  if (!(sd instanceof PickleDict)) {
    throw new UserError(`${file}: ${where} is not a state dict, i.e. a dict of tensors (found ${describeEntry(sd)})`);
  }
  const out = new Map<string, TorchTensorRef>();
  for (const [name, value] of sd) {
    if (typeof name !== 'string') {
      throw new UserError(`${file}: ${where} is not a state dict (it has a non-string key ${String(name)})`);
    }
    if (!(value instanceof TorchTensorRef)) {
      throw new UserError(`${file}: ${where} is not a state dict: entry '${name}' is not a tensor (found ${describeEntry(value)})`);
    }
    out.set(name, value);
  }
  return out;
}

// ---- readers -------------------------------------------------------------------------------------------------------
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
