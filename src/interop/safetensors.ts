/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors):
 *
 *   u64 little-endian N | N bytes of JSON header | tensor bytes
 *
 * The header maps names to {dtype, shape, data_offsets: [begin, end]} (offsets
 * relative to the byte buffer after the header), plus an optional
 * "__metadata__" object of string -> string.
 *
 * Reading: F32 as is; F64, F16 and BF16 converted to float32; integer and BOOL
 * tensors converted when every value is exactly representable (|v| <= 2^24).
 * Other dtypes (F8_*, complex...) fail with "unsupported dtype X in tensor Y".
 * Writing: float32 ('F32') only, atomically (temporary file + rename).
 */
import { UserError } from '../util/errors.js';
import { readRegularFile } from '../util/boundedRead.js';
import { writeFileAtomic } from '../util/atomic.js';
import { decodeToFloat32, elementBytes, formatShape, shapeSize, type ElementType, toLittleEndianBytes, type LoadedTensor, type TensorLike } from './tensor.js';

const DTYPES: Record<string, ElementType> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** Refuse absurd header sizes before allocating (the reference implementation caps at 100 MB). */
const MAX_HEADER = 100_000_000;

/** One tensor's header entry. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** File offset where the data section starts (8 + header length). */
  dataStart: number;
}

function readFile(file: string): Buffer {
  return readRegularFile(file, { what: 'safetensors file' });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseHeader(file: string, buf: Buffer): SafetensorsHeader {
  const bad = (what: string): UserError => new UserError(`${file}: not a valid safetensors file (${what})`);
  if (buf.length < 8) throw bad(`only ${buf.length} bytes`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER)) throw bad(`header length ${n} is implausible`);
  const len = Number(n);
  if (8 + len > buf.length) {
    throw new UserError(`${file}: safetensors file is truncated (header needs ${len} bytes, ${buf.length - 8} remain)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8', 8, 8 + len));
  } catch (err) {
    throw bad(`header is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(json)) throw bad('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw bad(`__metadata__ value for '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isRecord(value)) throw bad(`entry '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string') throw bad(`tensor '${name}' has no dtype`);
    if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor '${name}' has a bad shape`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d): d is number => Number.isSafeInteger(d) && d >= 0) || offsets[1] < offsets[0]) {
      throw bad(`tensor '${name}' has bad data_offsets`);
    }
    entries.push({ name, dtype, shape, begin: offsets[0], end: offsets[1] });
  }
  return { entries, metadata, dataStart: 8 + len };
}

/**
 * The format requires the tensors' byte ranges to be contiguous and non-overlapping and to cover the whole data
 * section: overlapping ranges would share bytes between tensors and gaps hide data, both silently wrong weights.
 * A section that ends early is left to the per-tensor "truncated" message.
 */
function checkContiguous(file: string, entries: readonly SafetensorsEntry[], dataLen: number): void {
  const bad = (what: string): UserError => new UserError(`${file}: not a valid safetensors file (${what})`);
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: SafetensorsEntry | undefined;
  for (const e of sorted) {
    if (e.begin < at) throw bad(`tensors '${prev!.name}' [${prev!.begin}, ${prev!.end}) and '${e.name}' [${e.begin}, ${e.end}) overlap`);
    if (e.begin > at) throw bad(`a gap of ${e.begin - at} bytes before tensor '${e.name}' (data must be contiguous)`);
    at = e.end;
    prev = e;
  }
  if (at < dataLen) throw bad(`${dataLen - at} bytes after the last tensor (data must end where the last tensor ends)`);
}

/** Reads only the header (names, dtypes, shapes, metadata). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return parseHeader(file, readFile(file));
}

/**
 * Loads every tensor of a safetensors file as float32 (see the module comment
 * for dtype handling). Names keep the header's order.
 */
export function loadSafetensors(file: string): Map<string, LoadedTensor> {
  const buf = readFile(file);
  const header = parseHeader(file, buf);
  const dataLen = buf.length - header.dataStart;
  checkContiguous(file, header.entries, dataLen);
  const out = new Map<string, LoadedTensor>();
  for (const e of header.entries) {
    const type = DTYPES[e.dtype];
    if (type === undefined) {
      throw new UserError(
        `${file}: unsupported dtype ${e.dtype} in tensor '${e.name}' (supported: ${Object.keys(DTYPES).join(', ')}; all are converted to float32)`,
      );
    }
    const count = shapeSize(e.shape);
    const want = count * elementBytes(type);
    if (e.end - e.begin !== want) {
      throw new UserError(
        `${file}: tensor '${e.name}' (${e.dtype} ${formatShape(e.shape)}) should take ${want} bytes, its data_offsets give ${e.end - e.begin}`,
      );
    }
    if (e.end > dataLen) {
      throw new UserError(`${file}: safetensors file is truncated (tensor '${e.name}' ends at byte ${e.end} of a ${dataLen}-byte data section)`);
    }
    const bytes = buf.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    out.set(e.name, {
      shape: [...e.shape],
      data: decodeToFloat32(bytes, type, count, () => `${file}: tensor '${e.name}'`),
      dtype: e.dtype,
    });
  }
  return out;
}

/**
 * Writes float32 tensors as a safetensors file (dtype 'F32'), in the given
 * order, with an optional string metadata map. Atomic: temp file + rename.
 */
export function saveSafetensors(
  file: string,
  tensors: ReadonlyMap<string, TensorLike> | Readonly<Record<string, TensorLike>>,
  metadata?: Readonly<Record<string, string>>,
): void {
  const list: [string, TensorLike][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new UserError(`cannot write ${file}: '__metadata__' is reserved and cannot name a tensor`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new UserError(`cannot write ${file}: tensor '${name}' has an invalid shape ${formatShape(t.shape)}`);
    }
    const n = shapeSize(t.shape);
    if (n !== t.data.length) {
      throw new UserError(`cannot write ${file}: tensor '${name}' has shape ${formatShape(t.shape)} (${n} values) but ${t.data.length} values`);
    }
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const chunks: Uint8Array[] = [len, json];
  for (const [, t] of list) chunks.push(toLittleEndianBytes(t.data));
  writeFileAtomic(file, chunks);
}
