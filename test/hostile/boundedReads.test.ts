/** Issue 17 item 2: bounded reads (zip bombs, oversized storages, .npy from devices). */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { ZipArchive } from '../../src/interop/zip.js';
import { loadTorchStateDict } from '../../src/interop/pth.js';
import { readNpy } from '../../src/interop/npy.js';
import { buildTorchZip, buildZip, expectUserError, f32Bytes, PickleBuilder, pushStateDict, tempDir } from '../interop/helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** A zip whose one entry inflates to `real` zero bytes but whose directory says `declared`. */
function bomb(real: number, declared: number): Buffer {
  const zip = buildZip([{ name: 'a/data/0', data: Buffer.alloc(16), deflate: true }]);
  // swap in a deflate stream of `real` zeros, keeping the directory's sizes consistent except the uncompressed one
  const body = deflateRawSync(Buffer.alloc(real));
  const nameLen = 'a/data/0'.length;
  const local = zip.subarray(0, 30 + nameLen + 12);
  const cdAt = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const oldBodyLen = cdAt - local.length;
  const rest = Buffer.from(zip.subarray(cdAt));
  rest.writeUInt32LE(body.length, 20);
  rest.writeUInt32LE(declared, 24);
  const eocd = rest.indexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  rest.writeUInt32LE(rest.readUInt32LE(eocd + 16) + body.length - oldBodyLen, eocd + 16);
  const head = Buffer.from(local);
  head.writeUInt32LE(body.length, 18);
  return Buffer.concat([head, body, rest]);
}

describe('zip entries inflate at most to their declared size', () => {
  it('an entry that inflates past its declared size stops there', () => {
    const z = ZipArchive.fromBytes(bomb(64 * 2 ** 20, 1024), 'bomb.zip');
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const t0 = Date.now();
    expectUserError(() => {
      try {
        z.read('a/data/0');
      } finally {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
    }, "entry 'a/data/0' inflates to more than its declared 1024 bytes");
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(peak - before).toBeLessThan(32 * 2 ** 20);
  });
});

describe('torch storages are capped at what their tensors use', () => {
  it('a storage declaring far more elements than its tensors reach is refused before it is read', () => {
    const p = new PickleBuilder().proto(2);
    pushStateDict(p, [{ name: 'w', storageKey: '0', numel: 100_000_000, shape: [2] }]);
    const file = join(tmp.dir, 'big-storage.pth');
    writeFileSync(file, buildTorchZip(p.stop().bytes(), { '0': f32Bytes([1, 2]) }));
    expectUserError(() => loadTorchStateDict(file), 'declares 100000000 elements', 'tensors use 2');
  });
});

describe('.npy reads only what the header declares, from regular files', () => {
  it('/dev/zero is refused at once', () => {
    expectUserError(() => readNpy('/dev/zero'), 'not a regular file');
  });
  it('a directory is refused with a clear message', () => {
    expectUserError(() => readNpy(tmp.dir), 'not a regular file');
  });
});
