/**
 * NumPy .npy reader/writer (format versions 1.0, 2.0 and 3.0).
 *
 *   "\x93NUMPY" | major u8 | minor u8 | header length (u16 LE for 1.x, u32 LE
 *   for 2.x/3.x) | header: a Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } | data
 *
 * Reading supports float32 and float64 ('<f4', '>f4', '<f8', '>f8'; float64
 * is converted to float32) in C order. Fortran order, object arrays and other
 * dtypes fail with a UserError naming the file.
 * Writing produces version 1.0 files of '<f4' data, atomically.
 */
import { statSync } from 'node:fs';
import { readRegularFile } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatShape, shapeSize, toLittleEndianBytes } from './tensor.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export interface NpyArray {
  shape: number[];
  /** Values as float32 in C order. */
  data: Float32Array;
  /** The dtype descriptor from the file, e.g. '<f4' or '<f8'. */
  dtype: string;
}

type PyLiteral = string | number | boolean | null | PyLiteral[] | { [key: string]: PyLiteral };

/** Parses the small Python literal subset used by .npy headers. */
function parsePyLiteral(text: string, fail: (what: string) => UserError): PyLiteral {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): PyLiteral => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [key: string]: PyLiteral } = {};
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return out;
        }
        const k = value();
        if (typeof k !== 'string') throw fail('a header key is not a string');
        ws();
        if (text[i] !== ':') throw fail(`expected ':' at header offset ${i}`);
        i++;
        out[k] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') throw fail(`expected ',' or '}' at header offset ${i}`);
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: PyLiteral[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return out;
        }
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) throw fail(`expected ',' or '${close}' at header offset ${i}`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw fail('unterminated string in header');
      const s = text.slice(i + 1, end);
      if (s.includes('\\')) throw fail('escaped strings in the header are not supported');
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!m) throw fail(`unexpected '${text.slice(i, i + 10)}' in header`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace(/L$/, ''));
  };
  const v = value();
  ws();
  if (i !== text.length) throw fail(`unexpected text after the header dict at offset ${i}`);
  return v;
}

/** Reads a float32/float64 C-order .npy file as float32. */
export function readNpy(file: string): NpyArray {
  // a regular file only (never /dev/zero or a FIFO), and only the bytes its header declares
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const probe = readRegularFile(file, { what: '.npy file', length: Math.min(size, 12) });
  let headerEnd = probe.length;
  if (probe.length >= 10 && probe[6] === 1) headerEnd = 10 + probe.readUInt16LE(8);
  else if (probe.length >= 12 && (probe[6] === 2 || probe[6] === 3)) headerEnd = 12 + probe.readUInt32LE(8);
  if (headerEnd > MAX_HEADER) throw new UserError(`${file}: not a valid .npy file (header of ${headerEnd} bytes is implausible)`);
  const head = readRegularFile(file, { what: '.npy file', length: Math.min(size, headerEnd) });
  const { dataEnd, shape } = parseNpyBytes(head, file, true);
  if (size > dataEnd) throw new UserError(`${file}: .npy file has ${size - dataEnd} unexpected bytes after the data for shape ${formatShape(shape)}`);
  return parseNpy(readRegularFile(file, { what: '.npy file', length: size }), file);
}

/** .npy headers are a few hundred bytes; numpy itself refuses headers over 10 kB unless told otherwise. */
const MAX_HEADER = 1 << 20;

/** Parses .npy bytes; `label` names the source in errors. */
export function parseNpy(buf: Uint8Array, label: string): NpyArray {
  const { dataEnd: _end, ...array } = parseNpyBytes(buf, label, false);
  return array;
}

/** With `headerOnly`, `buf` may end after the header; the data is not decoded, and dataEnd says where it ends. */
function parseNpyBytes(buf: Uint8Array, label: string, headerOnly: boolean): NpyArray & { dataEnd: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (what: string): UserError => new UserError(`${label}: not a valid .npy file (${what})`);
  const k = Math.min(6, b.length);
  if (!b.subarray(0, k).equals(MAGIC.subarray(0, k))) throw bad('missing \\x93NUMPY magic');
  if (b.length < 10) throw new UserError(`${label}: .npy file is truncated (${b.length} bytes)`);
  const major = b[6]!;
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = b.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw new UserError(`${label}: .npy file is truncated (${b.length} bytes)`);
    headerLen = b.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new UserError(`${label}: unsupported .npy format version ${major}.${b[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  if (headerStart + headerLen > b.length) {
    throw new UserError(`${label}: .npy file is truncated (the header needs ${headerLen} bytes)`);
  }
  const text = b.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLen);
  const header = parsePyLiteral(text.trim(), (what) => bad(`bad header: ${what}`));
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('header is not a dict');
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string') {
    throw new UserError(`${label}: unsupported dtype (structured dtypes are not supported; only float32 and float64)`);
  }
  if (typeof fortran !== 'boolean') throw bad("header has no boolean 'fortran_order'");
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw bad("header has no valid 'shape' tuple");
  }
  if (fortran) {
    throw new UserError(`${label}: fortran_order is True; only C-order arrays are supported (save with np.ascontiguousarray)`);
  }
  const m = /^([<>=|])f([48])$/.exec(descr);
  if (!m || m[1] === '|') {
    throw new UserError(`${label}: unsupported dtype '${descr}' (only float32 '<f4' and float64 '<f8', either byte order, are supported)`);
  }
  const little = m[1] !== '>';
  const size = Number(m[2]);
  const count = shapeSize(shape);
  const dataStart = headerStart + headerLen;
  const need = count * size;
  const have = b.length - dataStart;
  if (headerOnly) return { shape: [...shape], data: new Float32Array(0), dtype: descr, dataEnd: dataStart + need };
  if (have < need) {
    throw new UserError(`${label}: .npy file is truncated (shape ${formatShape(shape)} of '${descr}' needs ${need} data bytes, found ${have})`);
  }
  if (have > need) {
    throw new UserError(`${label}: .npy file has ${have - need} unexpected bytes after the data for shape ${formatShape(shape)}`);
  }
  const view = new DataView(b.buffer, b.byteOffset + dataStart, need);
  const data = new Float32Array(count);
  if (size === 4) for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, little);
  else for (let i = 0; i < count; i++) data[i] = view.getFloat64(i * 8, little);
  return { shape: [...shape], data, dtype: descr, dataEnd: dataStart + need };
}

/** Encodes a float32 C-order array as version-1.0 .npy bytes ('<f4'). */
export function encodeNpy(shape: readonly number[], data: Float32Array): Buffer {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new UserError(`invalid .npy shape ${formatShape(shape)}`);
  }
  if (shapeSize(shape) !== data.length) {
    throw new UserError(`shape ${formatShape(shape)} holds ${shapeSize(shape)} values but the data has ${data.length}`);
  }
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  // Pad with spaces and a final newline so that the data starts on a 64-byte boundary.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new UserError(`shape ${formatShape(shape)} is too long for a .npy 1.0 header`);
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), toLittleEndianBytes(data)]);
}

/** Writes a float32 C-order array as a .npy file (version 1.0, '<f4'), atomically. */
export function writeNpy(file: string, shape: readonly number[], data: Float32Array): void {
  let bytes: Buffer;
  try {
    bytes = encodeNpy(shape, data);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`cannot write ${file}: ${err.message}`);
    throw err;
  }
  writeFileAtomic(file, [bytes]);
}
