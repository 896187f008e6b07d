/**
 * IDX file reader (the MNIST family format), gzip-compressed or raw.
 *
 * Layout: 2 zero bytes, a dtype byte (0x08 = unsigned byte, the only one
 * supported), a byte with the number of dimensions, then one big-endian
 * uint32 per dimension, then the data. Images are 0x00000803 (N x H x W),
 * labels 0x00000801 (N).
 */
import { UserError } from '../util/errors.js';
import { bytesToUnit, checkDataset, type Dataset } from './dataset.js';
import { describeContent, gunzipFile, gunzipHead, hexHead, isGzip, MAX_DATA_FILE_BYTES, readFileOrThrow } from './files.js';

export type IdxKind = 'images' | 'labels';

export interface IdxArray {
  /** Dimension sizes from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The payload bytes (a view, no header). */
  data: Uint8Array;
  /** File the data came from (for messages). */
  file: string;
}

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

const OTHER_DTYPES: Record<number, string> = {
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const KIND_NDIM: Record<IdxKind, number> = { images: 3, labels: 1 };

function magicHex(m: number): string {
  return `0x${m.toString(16).padStart(8, '0')}`;
}

/** The bytes being parsed and what every message about them says. */
interface IdxInput {
  buf: Uint8Array;
  file: string;
  /** the file was gzip */
  gz: boolean;
  /** its gzip stream ended early */
  truncatedGzip: boolean;
  /** what kind of file was expected, for the end of a message ('' when any) */
  wanted: string;
}

/** The header's first 4 bytes checked (zeros, element type, dimensions as `expect` wants); returns the dimension count. */
function checkMagic(src: IdxInput, expect: IdxKind | undefined, expectedMagic: number | undefined): number {
  const { buf, file, gz, truncatedGzip, wanted } = src;
  if (buf.length < 4) {
    if (truncatedGzip || buf.length > 0) {
      throw new UserError(`${file} is truncated: only ${buf.length} bytes${gz ? ' after decompression' : ''}, too short for an IDX header${wanted}`);
    }
    throw new UserError(`${file} is empty${gz ? ' after decompression' : ''}; it is not an IDX file${wanted}`);
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new UserError(`${file} is not an IDX file: it starts with bytes ${hexHead(buf)} (${gz ? 'gzip containing ' : ''}${describeContent(buf)})${wanted}`);
  }
  const dtype = buf[2];
  const ndim = buf[3];
  const magic = (dtype << 8) | ndim;
  if (dtype !== 0x08) {
    if (OTHER_DTYPES[dtype]) {
      throw new UserError(
        `${file}: IDX element type 0x${dtype.toString(16).padStart(2, '0')} (${OTHER_DTYPES[dtype]}) is not supported, only unsigned byte (0x08)${wanted}`,
      );
    }
    throw new UserError(`${file} is not an IDX file: magic number ${magicHex(magic)} has an unknown element type${wanted}`);
  }
  if (expect) {
    if (ndim !== KIND_NDIM[expect]) {
      const other: IdxKind = expect === 'images' ? 'labels' : 'images';
      const swapped = ndim === KIND_NDIM[other] ? `; it looks like an IDX ${other} file — are the image and label files swapped?` : '';
      throw new UserError(
        `${file}: expected an IDX ${expect} file (magic ${magicHex(expectedMagic as number)}, ${KIND_NDIM[expect]} dimension${KIND_NDIM[expect] > 1 ? 's' : ''}) but found magic ${magicHex(magic)} (${ndim} dimension${ndim === 1 ? '' : 's'})${swapped}`,
      );
    }
  } else if (ndim === 0) {
    throw new UserError(`${file}: IDX header declares 0 dimensions`);
  }
  return ndim;
}

/** The dimension sizes after the magic, their product, and the header's length. */
function readDims(src: IdxInput, ndim: number): { dims: number[]; count: number; headerBytes: number } {
  const { buf, file, gz } = src;
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new UserError(`${file} is truncated: the IDX header needs ${headerBytes} bytes but the file has ${buf.length}${gz ? ' after decompression' : ''}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  return { dims, count, headerBytes };
}

/** The file's length checked against what the header declares (and a gzip stream that ended early refused). */
function checkLength(src: IdxInput, dims: number[], count: number, expectedBytes: number): void {
  const { buf, file, gz, truncatedGzip } = src;
  const shape = `${dims.join('x')} = ${count}`;
  const actual = `${buf.length} bytes${gz ? ' after decompression' : ''}`;
  if (buf.length < expectedBytes) {
    throw new UserError(
      `${file} is truncated: its header declares ${shape} bytes of data, so the file should be ${expectedBytes} bytes${gz ? ' after decompression' : ''}, but it is ${actual}${truncatedGzip ? ' (the gzip stream ends early)' : ''}; re-download or re-install it`,
    );
  }
  if (buf.length > expectedBytes) {
    throw new UserError(
      `${file} is too large: its header declares ${shape} bytes of data, so the file should be ${expectedBytes} bytes${gz ? ' after decompression' : ''}, but it is ${actual} (${buf.length - expectedBytes} extra); it is damaged or not an IDX file`,
    );
  }
  if (truncatedGzip) {
    // Sizes agree but the gzip trailer is missing: still a damaged download.
    throw new UserError(`${file} is truncated: the gzip stream ends before its trailer; re-download or re-install it`);
  }
}

/**
 * What a gzipped IDX file may inflate to: what its header declares (read from the first inflated bytes) and one
 * byte more, so a longer stream is still reported as too large; a header declaring more than the data-file limit is
 * refused before anything is inflated. Without a readable header: the limit itself.
 */
function declaredGzipBytes(input: Uint8Array, file: string): number {
  const head = gunzipHead(input);
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head.length < 4 + 4 * head[3]) return MAX_DATA_FILE_BYTES;
  let count = 1;
  for (let d = 0; d < head[3]; d++) count *= head.readUInt32BE(4 + 4 * d);
  const bytes = 4 + 4 * head[3] + count;
  if (bytes > MAX_DATA_FILE_BYTES) {
    throw new UserError(`${file}: its IDX header declares ${count} bytes of data, more than the ${MAX_DATA_FILE_BYTES} bytes a data file may hold`);
  }
  return bytes + 1;
}

/**
 * Parses IDX bytes (gzip or raw). `expect` checks the kind (images: 3 dims,
 * labels: 1 dim). Every problem is a UserError naming `file`.
 */
export function parseIdx(input: Uint8Array, file: string, expect?: IdxKind): IdxArray {
  let buf: Uint8Array = input;
  let truncatedGzip = false;
  const gz = isGzip(input);
  if (gz) {
    const r = gunzipFile(input, file, declaredGzipBytes(input, file));
    buf = r.data;
    truncatedGzip = r.truncated;
  }
  const expectedMagic = expect ? (expect === 'images' ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC) : undefined;
  const wanted = expectedMagic !== undefined ? `; expected an IDX ${expect} file (magic ${magicHex(expectedMagic)})` : '';
  const src: IdxInput = { buf, file, gz, truncatedGzip, wanted };

  const ndim = checkMagic(src, expect, expectedMagic);
  const { dims, count, headerBytes } = readDims(src, ndim);
  if (expect === 'images' && (dims[1] === 0 || dims[2] === 0)) {
    throw new UserError(`${file}: IDX image size ${dims[1]}x${dims[2]} is empty`);
  }
  const expectedBytes = headerBytes + count;
  checkLength(src, dims, count, expectedBytes);
  return { dims, data: buf.subarray(headerBytes, expectedBytes), file };
}

/** Reads and parses an IDX file (gzip or raw); missing file → UserError (with `hint` appended). */
export function readIdxFile(file: string, expect?: IdxKind, hint = ''): IdxArray {
  return parseIdx(readFileOrThrow(file, expect ? `IDX ${expect} file` : 'IDX file', hint), file, expect);
}

export interface IdxPairOptions {
  imagesFile: string;
  labelsFile: string;
  /** Dataset name, e.g. 'mnist/train'. */
  name: string;
  classNames?: string[];
  /** Number of classes; labels must lie in [0, numClasses). Default: classNames.length, else max label + 1. */
  numClasses?: number;
  /** Appended to "file not found" errors, e.g. how to install the data. */
  missingHint?: string;
}

/**
 * Loads an IDX image file and its label file into a Dataset (pixels scaled to
 * [0, 1], 1 channel). Checks that the counts agree and labels are in range.
 */
export function loadIdxPair(opts: IdxPairOptions): Dataset {
  const img = readIdxFile(opts.imagesFile, 'images', opts.missingHint);
  const lab = readIdxFile(opts.labelsFile, 'labels', opts.missingHint);
  const [n, height, width] = img.dims;
  if (lab.dims[0] !== n) {
    throw new UserError(`image and label counts disagree: ${opts.imagesFile} has ${n} images but ${opts.labelsFile} has ${lab.dims[0]} labels`);
  }
  const numClasses = opts.numClasses ?? opts.classNames?.length;
  const labels = new Int32Array(n);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const l = lab.data[i];
    if (numClasses !== undefined && l >= numClasses) {
      throw new UserError(`${opts.labelsFile}: label ${l} at index ${i} is out of range 0..${numClasses - 1} (${numClasses} classes)`);
    }
    labels[i] = l;
    if (l > max) max = l;
  }
  const images = bytesToUnit(img.data);
  return checkDataset({
    images,
    labels,
    n,
    height,
    width,
    channels: 1,
    numClasses: numClasses ?? max + 1,
    ...(opts.classNames ? { classNames: [...opts.classNames] } : {}),
    name: opts.name,
    source: `${opts.imagesFile},${opts.labelsFile}`,
  });
}

/** Encodes an IDX file (raw bytes; gzip it yourself if wanted). Used by tests and tools. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`encodeIdx: data has ${data.length} bytes, dims need ${count}`);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
