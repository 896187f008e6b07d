import { endianness } from 'node:os';
import { UserError } from '../util/errors.js';

/**
 * Shared tensor types and element-type conversions for the interop readers
 * (PyTorch checkpoints, safetensors, .npy). Every reader hands back float32
 * data in C (row-major) order; `dtype` records what the file held.
 */

/** A tensor read from a file, as float32 in C order. */
export interface LoadedTensor {
  shape: number[];
  data: Float32Array;
  /** The element type stored in the file (e.g. 'float32', 'int64', 'F16', '<f8'). */
  dtype: string;
}

/** What the writers accept: a shape and float32 data in C order. */
export interface TensorLike {
  shape: readonly number[];
  data: Float32Array;
}

/** Element types the interop layer knows how to decode (little-endian). */
export type ElementType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const ELEMENT_BYTES: Record<ElementType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function elementBytes(type: ElementType): number {
  return ELEMENT_BYTES[type];
}

/** Product of the dimensions (1 for a scalar's empty shape). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Largest integer magnitude float32 represents exactly (2^24). */
const F32_EXACT_INT = 16_777_216;

/** Decodes one IEEE half-precision value from its 16 bits. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes `count` little-endian elements of `type` starting at `bytes[0]` into
 * float32. Integers must be exactly representable in float32 (|v| <= 2^24),
 * else a UserError starts with `describe()` (which should name tensor and file).
 */
export function decodeToFloat32(bytes: Uint8Array, type: ElementType, count: number, describe: () => string): Float32Array {
  const need = count * ELEMENT_BYTES[type];
  if (bytes.byteLength < need) {
    throw new Error(`internal: ${describe()} needs ${need} bytes, got ${bytes.byteLength}`);
  }
  if (type === 'float32' && endianness() === 'LE') {
    // Fast path: one aligned copy.
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes.subarray(0, need));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, need);
  const out = new Float32Array(count);
  switch (type) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = float16ToNumber(view.getUint16(i * 2, true));
      break;
    case 'bfloat16': {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = tmp.getFloat32(0, true);
      }
      break;
    }
    case 'int64':
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > BigInt(F32_EXACT_INT) || v < -BigInt(F32_EXACT_INT)) {
          throw integerRange(describe(), type, v);
        }
        out[i] = Number(v);
      }
      break;
    case 'int32':
      for (let i = 0; i < count; i++) {
        const v = view.getInt32(i * 4, true);
        if (Math.abs(v) > F32_EXACT_INT) throw integerRange(describe(), type, v);
        out[i] = v;
      }
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'uint8':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i) !== 0 ? 1 : 0;
      break;
  }
  return out;
}

function integerRange(what: string, type: ElementType, value: bigint | number): UserError {
  return new UserError(`${what}: ${type} value ${value} cannot be converted to float32 exactly (only |v| <= 2^24 is supported)`);
}

/** The float32 values as little-endian bytes. */
export function toLittleEndianBytes(data: Float32Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i]!, i * 4);
  return out;
}
