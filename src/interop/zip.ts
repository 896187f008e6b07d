/**
 * A minimal, read-only ZIP reader: enough for PyTorch's zip checkpoints
 * (torch.save since 1.6), which are ordinary zip archives of stored entries
 * with zip64 end records.
 *
 * Supports: the central directory (classic and zip64), stored (method 0) and
 * deflated (method 8) entries, zip64 extra fields, CRC-32 verification.
 * Not supported (clear UserError): encryption, multi-disk archives, other
 * compression methods.
 *
 * The archive is read through a file descriptor, one entry at a time, so a
 * large checkpoint is never held in memory whole.
 */
import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../util/boundedRead.js';
import * as zlib from 'node:zlib';
import { UserError } from '../util/errors.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

/** One file in the archive, as described by the central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

/** The fields of a central directory entry that a zip64 extra field may replace (when saturated). */
interface Zip64Fields {
  compressedSize: number;
  size: number;
  diskStart: number;
  localHeaderOffset: number;
}

/** Random access to the archive's bytes. */
interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or fewer if the source ends first. */
  read(offset: number, length: number): Buffer;
  close(): void;
}

function fileSource(file: string): ByteSource {
  // opened without blocking and checked to be a regular file (a FIFO or device is refused, not waited on)
  const { fd, size } = openRegularFile(file, '');
  return {
    size,
    read(offset: number, length: number): Buffer {
      const want = Math.max(0, Math.min(length, size - offset));
      const buf = Buffer.alloc(want);
      let done = 0;
      while (done < want) {
        const n = readSync(fd, buf, done, want - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === want ? buf : buf.subarray(0, done);
    },
    close(): void {
      closeSync(fd);
    },
  };
}

function bufferSource(bytes: Uint8Array): ByteSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buf.length,
    read(offset: number, length: number): Buffer {
      return buf.subarray(offset, Math.min(buf.length, offset + length));
    },
    close(): void {},
  };
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE, as in zip/gzip). Uses node:zlib's when the runtime has it. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u64(buf: Buffer, at: number, what: string, label: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UserError(`${label}: corrupt zip archive (${what} ${v} is out of range)`);
  }
  return Number(v);
}

/** A zip archive opened for reading. Call close() when done. */
export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    private readonly source: ByteSource,
    /** The file name (or label) used in error messages. */
    readonly label: string,
  ) {
    try {
      for (const e of this.readCentralDirectory()) this.byName.set(e.name, e);
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** Opens a zip file; throws a UserError naming the file if it is not a readable zip. */
  static open(file: string): ZipArchive {
    return new ZipArchive(fileSource(file), file);
  }

  /** Reads a zip archive held in memory; `label` names it in errors. */
  static fromBytes(bytes: Uint8Array, label = '<memory>'): ZipArchive {
    return new ZipArchive(bufferSource(bytes), label);
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * The uncompressed, CRC-checked contents of an entry. Never inflates past the entry's declared size;
   * `maxBytes` refuses an entry whose declared size is larger, before reading it.
   */
  read(name: string, opts: { maxBytes?: number } = {}): Buffer {
    const e = this.byName.get(name);
    if (!e) throw new UserError(`${this.label}: zip archive has no entry '${name}'`);
    if (opts.maxBytes !== undefined && e.size > opts.maxBytes) {
      throw new UserError(`${this.label}: zip entry '${name}' declares ${e.size} bytes; at most ${opts.maxBytes} are expected`);
    }
    const head = this.source.read(e.localHeaderOffset, 30);
    if (head.length < 30 || head.readUInt32LE(0) !== SIG_LOCAL) {
      throw this.corrupt(`bad local header for entry '${name}'`);
    }
    const dataStart = e.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    const raw = this.source.read(dataStart, e.compressedSize);
    if (raw.length < e.compressedSize) {
      throw new UserError(`${this.label}: file is truncated (entry '${name}' is cut short)`);
    }
    let data: Buffer;
    if (e.method === 0) {
      data = raw;
    } else if (e.method === 8) {
      // the declared size bounds the output: a small entry that inflates to gigabytes stops at its declared size
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw this.corrupt(`entry '${name}' inflates to more than its declared ${e.size} bytes`);
        }
        throw this.corrupt(`entry '${name}' does not inflate (${(err as Error).message})`);
      }
    } else {
      throw new UserError(`${this.label}: zip entry '${name}' uses compression method ${e.method}; only stored (0) and deflate (8) are supported`);
    }
    if (data.length !== e.size) {
      throw this.corrupt(`entry '${name}' is ${data.length} bytes, the directory says ${e.size}`);
    }
    const crc = crc32(data);
    if (crc !== e.crc32) {
      throw this.corrupt(`CRC-32 mismatch in entry '${name}'`);
    }
    return data;
  }

  close(): void {
    this.source.close();
  }

  private corrupt(what: string): UserError {
    return new UserError(`${this.label}: corrupt zip archive (${what})`);
  }

  private notZip(detail: string): UserError {
    return new UserError(`${this.label} is not a zip archive or is truncated (${detail})`);
  }

  private findEocd(): { at: number; buf: Buffer } {
    const size = this.source.size;
    if (size < EOCD_MIN) throw this.notZip(`only ${size} bytes`);
    const tailLen = Math.min(size, EOCD_MIN + MAX_COMMENT);
    const tailStart = size - tailLen;
    const tail = this.source.read(tailStart, tailLen);
    for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
      if (tail.readUInt32LE(i) !== SIG_EOCD) continue;
      const commentLen = tail.readUInt16LE(i + 20);
      if (i + EOCD_MIN + commentLen !== tail.length) continue;
      return { at: tailStart + i, buf: tail.subarray(i, i + EOCD_MIN) };
    }
    const start = this.source.read(0, 4);
    if (start.length === 4 && start.readUInt32LE(0) === SIG_LOCAL) {
      throw new UserError(`${this.label}: zip archive is truncated (it starts like a zip file but has no end-of-central-directory record)`);
    }
    throw this.notZip('no end-of-central-directory record');
  }

  /** Where the central directory is and how many entries it holds (from the end record, or its zip64 form). */
  private locateCentralDirectory(): { count: number; cdSize: number; cdOffset: number; eocdAt: number } {
    const { at: eocdAt, buf: eocd } = this.findEocd();
    const disk = eocd.readUInt16LE(4);
    const cdDisk = eocd.readUInt16LE(6);
    let count = eocd.readUInt16LE(10);
    let cdSize = eocd.readUInt32LE(12);
    let cdOffset = eocd.readUInt32LE(16);
    const needs64 = count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
    const locator = eocdAt >= 20 ? this.source.read(eocdAt - 20, 20) : Buffer.alloc(0);
    if (locator.length === 20 && locator.readUInt32LE(0) === SIG_ZIP64_LOCATOR) {
      const recAt = u64(locator, 8, 'zip64 record offset', this.label);
      const rec = this.source.read(recAt, 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) {
        throw this.corrupt('bad zip64 end-of-central-directory record');
      }
      if (rec.readUInt32LE(16) !== 0 || rec.readUInt32LE(20) !== 0) {
        throw new UserError(`${this.label}: multi-disk zip archives are not supported`);
      }
      count = u64(rec, 32, 'entry count', this.label);
      cdSize = u64(rec, 40, 'central directory size', this.label);
      cdOffset = u64(rec, 48, 'central directory offset', this.label);
    } else if (needs64) {
      throw this.corrupt('zip64 archive without a zip64 end-of-central-directory locator');
    } else if (disk !== 0 || cdDisk !== 0) {
      throw new UserError(`${this.label}: multi-disk zip archives are not supported`);
    }
    return { count, cdSize, cdOffset, eocdAt };
  }

  private readCentralDirectory(): ZipEntry[] {
    const { count, cdSize, cdOffset, eocdAt } = this.locateCentralDirectory();
    if (cdOffset + cdSize > eocdAt) {
      throw this.corrupt('central directory lies outside the file');
    }
    const cd = this.source.read(cdOffset, cdSize);
    if (cd.length < cdSize) throw this.corrupt('central directory is cut short');

    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      const { entry, end } = this.centralEntry(cd, p, i);
      if (entry.localHeaderOffset + 30 > cdOffset) {
        throw this.corrupt(`entry '${entry.name}' starts outside the archive data`);
      }
      entries.push(entry);
      p = end;
    }
    return entries;
  }

  /** Central directory entry #`i`, at `p` of `cd`, and where the next one starts. */
  private centralEntry(cd: Buffer, p: number, i: number): { entry: ZipEntry; end: number } {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) {
      throw this.corrupt(`bad central directory entry #${i}`);
    }
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw this.corrupt(`central directory entry #${i} is cut short`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    if (flags & 0x1) {
      throw new UserError(`${this.label}: zip entry '${name}' is encrypted; encrypted archives are not supported`);
    }
    const fields: Zip64Fields = {
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      diskStart: cd.readUInt16LE(p + 34),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    this.applyZip64Extra(cd, p + 46 + nameLen, extraLen, name, fields);
    if (fields.diskStart !== 0) throw new UserError(`${this.label}: multi-disk zip archives are not supported`);
    const { compressedSize, size, localHeaderOffset } = fields;
    return { entry: { name, method, crc32: crc, compressedSize, size, localHeaderOffset }, end };
  }

  /**
   * zip64 extended information (the extra field at `x` of `cd`, `extraLen` bytes): replaces only the fields that
   * are saturated in the fixed part, in this order.
   */
  private applyZip64Extra(cd: Buffer, x: number, extraLen: number, name: string, f: Zip64Fields): void {
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      const body = x + 4;
      if (body + len > xEnd) break;
      if (id === 0x0001) {
        let q = body;
        const take = (): number => {
          if (q + 8 > body + len) throw this.corrupt(`short zip64 field in entry '${name}'`);
          const v = u64(cd, q, 'zip64 field', this.label);
          q += 8;
          return v;
        };
        if (f.size === 0xffffffff) f.size = take();
        if (f.compressedSize === 0xffffffff) f.compressedSize = take();
        if (f.localHeaderOffset === 0xffffffff) f.localHeaderOffset = take();
        if (f.diskStart === 0xffff) {
          if (q + 4 > body + len) throw this.corrupt(`short zip64 field in entry '${name}'`);
          f.diskStart = cd.readUInt32LE(q);
        }
      }
      x = body + len;
    }
  }
}
