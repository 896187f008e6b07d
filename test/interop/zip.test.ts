import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZipArchive, crc32 } from '../../src/interop/zip.js';
import { buildZip, fixture, tempDir, expectUserError } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('ZipArchive', () => {
  it('reads the torch fixture (zip64 end records, stored entries)', () => {
    const zip = ZipArchive.open(fixture('checkpoint.pth'));
    try {
      const names = zip.names();
      expect(names[0]).toBe('checkpoint/data.pkl');
      expect(names).toContain('checkpoint/version');
      expect(names.filter((n) => n.startsWith('checkpoint/data/'))).toHaveLength(89);
      expect(zip.read('checkpoint/version').toString()).toBe('3\n');
      expect(zip.entry('checkpoint/data/0')).toMatchObject({ method: 0, size: 6144 });
      const pkl = zip.read('checkpoint/data.pkl');
      expect(pkl[0]).toBe(0x80);
      expect(pkl[pkl.length - 1]).toBe(0x2e);
    } finally {
      zip.close();
    }
  });

  it('reads stored and deflated entries, with and without zip64 fields', () => {
    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 13;
    for (const zip64 of [false, true]) {
      const bytes = buildZip(
        [
          { name: 'a.txt', data: Buffer.from('hello') },
          { name: 'dir/b.bin', data: big, deflate: true },
          { name: 'empty', data: Buffer.alloc(0) },
        ],
        { zip64 },
      );
      const zip = ZipArchive.fromBytes(bytes, 'mem.zip');
      expect(zip.names()).toEqual(['a.txt', 'dir/b.bin', 'empty']);
      expect(zip.read('a.txt').toString()).toBe('hello');
      expect(zip.read('dir/b.bin').equals(big)).toBe(true);
      expect(zip.entry('dir/b.bin')!.compressedSize).toBeLessThan(big.length);
      expect(zip.read('empty')).toHaveLength(0);
      expectUserError(() => zip.read('nope'), 'mem.zip', "no entry 'nope'");
    }
  });

  it('detects a CRC mismatch', () => {
    const bytes = buildZip([{ name: 'a', data: Buffer.from('abcdef') }]);
    bytes[bytes.indexOf('abcdef') + 2] = 0x5a;
    expectUserError(() => ZipArchive.fromBytes(bytes, 'crc.zip').read('a'), 'crc.zip', "CRC-32 mismatch in entry 'a'");
  });

  it('names the file for non-zip, truncated and unsupported archives', () => {
    const notZip = join(tmp.dir, 'plain.txt');
    writeFileSync(notZip, 'just some text, long enough to look for an end record');
    expectUserError(() => ZipArchive.open(notZip), notZip, 'not a zip archive');

    const whole = buildZip([{ name: 'a', data: Buffer.alloc(1000, 1) }]);
    const cut = join(tmp.dir, 'cut.zip');
    writeFileSync(cut, whole.subarray(0, 600));
    expectUserError(() => ZipArchive.open(cut), cut, 'truncated');

    const tiny = join(tmp.dir, 'tiny.zip');
    writeFileSync(tiny, Buffer.from('PK'));
    expectUserError(() => ZipArchive.open(tiny), tiny, 'not a zip archive');

    expectUserError(() => ZipArchive.open(join(tmp.dir, 'missing.zip')), 'cannot open', 'missing.zip');

    const method = buildZip([{ name: 'a', data: Buffer.from('x') }]);
    // Central directory method field -> 12 (bzip2).
    const cd = method.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    method.writeUInt16LE(12, cd + 10);
    expectUserError(() => ZipArchive.fromBytes(method, 'bz.zip').read('a'), 'bz.zip', 'compression method 12');

    const enc = buildZip([{ name: 'a', data: Buffer.from('x') }]);
    enc.writeUInt16LE(1, enc.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 8);
    expectUserError(() => ZipArchive.fromBytes(enc, 'enc.zip'), 'enc.zip', 'encrypted');
  });
});
