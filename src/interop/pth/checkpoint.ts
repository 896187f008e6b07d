/**
 * An open torch.save archive: its data.pkl unpickled (tensors as references), and the tensors' data read from their
 * storages on demand, bounded by what the references declare.
 */
import { UserError } from '../../util/errors.js';
import { PickleGlobal, describePickleValue, unpickle, type PickleContext, type PickleValue } from '../pickle.js';
import { decodeToFloat32, elementBytes, shapeSize, type LoadedTensor } from '../tensor.js';
import { ZipArchive } from '../zip.js';
import { rejectLegacy } from './legacy.js';
import { TORCH_GLOBALS } from './torchGlobals.js';
import { STORAGE_TYPES, TorchStorageRef, type TorchTensorRef } from './torchRefs.js';

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
