import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy, readNpy, writeNpy } from '../../src/interop/npy.js';
import { fixture, tempDir, expectUserError } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;
const writeTemp = (bytes: Uint8Array): string => {
  const file = join(tmp.dir, `a${counter++}.npy`);
  writeFileSync(file, bytes);
  return file;
};

/** Hand-builds a .npy file with any header text and data. */
function npyBytes(header: string, data: Uint8Array, version: 1 | 2 = 1): Buffer {
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) len.writeUInt16LE(header.length + 1);
  else len.writeUInt32LE(header.length + 1);
  return Buffer.concat([pre, len, Buffer.from(header + '\n', 'latin1'), data]);
}

describe('fixture .npy files', () => {
  it('input.npy is float32 [2, 3, 64, 64]', () => {
    const a = readNpy(fixture('input.npy'));
    expect(a.shape).toEqual([2, 3, 64, 64]);
    expect(a.dtype).toBe('<f4');
    expect(a.data.length).toBe(2 * 3 * 64 * 64);
    expect(Array.from(a.data.slice(0, 3))).toEqual([-0.7978257536888123, -0.14685000479221344, 1.4209822416305542]);
  });

  it('expected_train.npy and expected_deploy.npy are [2, 10] and agree (train vs deploy form)', () => {
    const train = readNpy(fixture('expected_train.npy'));
    const deploy = readNpy(fixture('expected_deploy.npy'));
    expect(train.shape).toEqual([2, 10]);
    expect(deploy.shape).toEqual([2, 10]);
    expect(train.data[0]).toBe(0.058930255472660065);
    let max = 0;
    for (let i = 0; i < 20; i++) max = Math.max(max, Math.abs(train.data[i]! - deploy.data[i]!));
    // meta.json: train_vs_deploy_max_abs_diff = 1.4901161193847656e-08
    expect(max).toBeCloseTo(1.4901161193847656e-8, 12);
  });
});

describe('writeNpy / readNpy', () => {
  it('round-trips float32 data for several ranks', () => {
    for (const shape of [[2, 3], [5], [], [1, 2, 3, 4], [0, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => Math.fround(i * 0.5 - 3.25));
      const file = join(tmp.dir, `rt${shape.join('x')}.npy`);
      writeNpy(file, shape, data);
      const back = readNpy(file);
      expect(back).toEqual({ shape, data, dtype: '<f4' });
    }
  });

  it('writes the standard version-1.0 header, padded to 64 bytes', () => {
    const bytes = encodeNpy([2, 3], new Float32Array(6));
    const headerLen = bytes.readUInt16LE(8);
    expect((10 + headerLen) % 64).toBe(0);
    const header = bytes.toString('latin1', 10, 10 + headerLen);
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
    expect(bytes.toString('latin1', 10, 10 + headerLen)).toContain("'shape': (2, 3)");
    expect(encodeNpy([5], new Float32Array(5)).toString('latin1')).toContain("'shape': (5,)");
    expect(encodeNpy([], new Float32Array(1)).toString('latin1')).toContain("'shape': ()");
    // Byte-identical to numpy's own output for the fixture's header.
    const fixtureBytes = readFileSync(fixture('expected_train.npy'));
    const mine = encodeNpy([2, 10], readNpy(fixture('expected_train.npy')).data);
    expect(mine.equals(fixtureBytes)).toBe(true);
  });

  it('writes atomically and leaves no temporary files', () => {
    const dir = join(tmp.dir, 'atomic');
    writeNpy(join(tmp.dir, 'x.npy'), [1], new Float32Array([1]));
    writeNpy(join(tmp.dir, 'x.npy'), [2], new Float32Array([1, 2]));
    expect(readNpy(join(tmp.dir, 'x.npy')).shape).toEqual([2]);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expectUserError(() => writeNpy(join(dir, 'no-such-dir', 'x.npy'), [1], new Float32Array([1])), 'cannot write', 'x.npy');
  });

  it('rejects a shape that does not match the data', () => {
    expectUserError(() => writeNpy(join(tmp.dir, 'bad.npy'), [2, 2], new Float32Array(3)), 'bad.npy', '[2, 2]', '3');
  });
});

describe('readNpy inputs', () => {
  it("converts '<f8' and reads big-endian '>f4' and version 2.0 headers", () => {
    const f8 = Buffer.alloc(16);
    f8.writeDoubleLE(0.1, 0);
    f8.writeDoubleLE(-2, 8);
    const a = readNpy(writeTemp(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8)));
    expect(a).toEqual({ shape: [2], data: new Float32Array([0.1, -2]), dtype: '<f8' });

    const be = Buffer.alloc(8);
    be.writeFloatBE(1.5, 0);
    be.writeFloatBE(-3, 4);
    const b = readNpy(writeTemp(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }", be, 2)));
    expect(b).toEqual({ shape: [1, 2], data: new Float32Array([1.5, -3]), dtype: '>f4' });
  });

  it('rejects fortran order, other dtypes, truncation and garbage with clear errors', () => {
    const four = Buffer.alloc(16);
    const fortran = writeTemp(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four));
    expectUserError(() => readNpy(fortran), fortran, 'fortran_order is True');

    const i8 = writeTemp(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", four));
    expectUserError(() => readNpy(i8), i8, "unsupported dtype '<i8'");

    const obj = writeTemp(npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", four));
    expectUserError(() => readNpy(obj), "unsupported dtype '|O'");

    const structured = writeTemp(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", four));
    expectUserError(() => readNpy(structured), 'structured dtypes are not supported');

    const whole = readFileSync(fixture('input.npy'));
    const cut = writeTemp(whole.subarray(0, whole.length - 100));
    expectUserError(() => readNpy(cut), cut, 'truncated', '[2, 3, 64, 64]');
    const cutHeader = writeTemp(whole.subarray(0, 50));
    expectUserError(() => readNpy(cutHeader), cutHeader, 'truncated');
    const extra = writeTemp(Buffer.concat([whole, Buffer.alloc(4)]));
    expectUserError(() => readNpy(extra), extra, 'unexpected bytes');

    const garbage = writeTemp(Buffer.from('definitely not numpy'));
    expectUserError(() => readNpy(garbage), garbage, 'not a valid .npy file');
    const badHeader = writeTemp(npyBytes("{'descr': '<f4', 'shape': (2,) ", four));
    expectUserError(() => readNpy(badHeader), badHeader, 'bad header');
    expectUserError(() => readNpy(join(tmp.dir, 'missing.npy')), 'cannot read', 'missing.npy');
    expectUserError(() => parseNpy(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0]), 'v9'), 'v9', 'version 9.0');
  });
});
