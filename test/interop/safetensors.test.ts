import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTorchStateDict } from '../../src/interop/pth.js';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../../src/interop/safetensors.js';
import { fixture, tempDir, expectUserError } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;
const writeTemp = (bytes: Uint8Array): string => {
  const file = join(tmp.dir, `s${counter++}.safetensors`);
  writeFileSync(file, bytes);
  return file;
};

/** Hand-builds a safetensors file from a header object and a data section. */
function stBytes(header: unknown, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips tensors in order, with metadata', () => {
    const file = join(tmp.dir, 'rt.safetensors');
    const tensors = new Map([
      ['b.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) }],
      ['a.bias', { shape: [3], data: new Float32Array([-1, 0, 1]) }],
      ['scalar', { shape: [], data: new Float32Array([42]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    saveSafetensors(file, tensors, { format: 'pt', source: 'test' });
    const back = loadSafetensors(file);
    expect([...back.keys()]).toEqual(['b.weight', 'a.bias', 'scalar', 'empty']);
    for (const [name, t] of tensors) {
      expect(back.get(name)).toEqual({ shape: t.shape, data: t.data, dtype: 'F32' });
    }
    const header = readSafetensorsHeader(file);
    expect(header.metadata).toEqual({ format: 'pt', source: 'test' });
    expect(header.dataStart % 8).toBe(0);
    expect(header.entries[0]).toEqual({ name: 'b.weight', dtype: 'F32', shape: [2, 3], begin: 0, end: 24 });
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('round-trips the fixture deploy weights (a record object works too)', () => {
    const sd = loadTorchStateDict(fixture('deploy.pth'), 'model');
    const file = join(tmp.dir, 'deploy.safetensors');
    saveSafetensors(file, Object.fromEntries(sd));
    const back = loadSafetensors(file);
    expect(back.size).toBe(18);
    for (const [name, t] of sd) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(Buffer.from(back.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
  });

  it('converts F16, BF16, F64 and I64 to float32', () => {
    const data = Buffer.concat([
      Buffer.from([0x00, 0x3c, 0x00, 0xc0]), // F16 1, -2
      Buffer.from([0xc0, 0x3f, 0x80, 0xbf]), // BF16 1.5, -1
      (() => {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(0.1);
        return b;
      })(),
      (() => {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(-7n);
        return b;
      })(),
    ]);
    const file = writeTemp(
      stBytes(
        {
          h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
          d: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
          i: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
        },
        data,
      ),
    );
    const t = loadSafetensors(file);
    expect(Array.from(t.get('h')!.data)).toEqual([1, -2]);
    expect(Array.from(t.get('b')!.data)).toEqual([1.5, -1]);
    expect(t.get('d')!.data[0]).toBe(Math.fround(0.1));
    expect(t.get('i')).toEqual({ shape: [1], data: new Float32Array([-7]), dtype: 'I64' });
  });

  it('gives clear errors for bad files', () => {
    const f8 = writeTemp(stBytes({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)));
    expectUserError(() => loadSafetensors(f8), f8, "unsupported dtype F8_E4M3 in tensor 'x'");

    const good = join(tmp.dir, 'good.safetensors');
    saveSafetensors(good, { w: { shape: [4, 4], data: new Float32Array(16) } });
    const whole = readFileSync(good);
    const cut = writeTemp(whole.subarray(0, whole.length - 8));
    expectUserError(() => loadSafetensors(cut), cut, 'truncated', "'w'");
    const cutHeader = writeTemp(whole.subarray(0, 20));
    expectUserError(() => loadSafetensors(cutHeader), cutHeader, 'truncated');

    const size = writeTemp(stBytes({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)));
    expectUserError(() => loadSafetensors(size), size, "tensor 'x'", 'should take 12 bytes');

    const notJson = Buffer.alloc(16, 0x41);
    notJson.writeBigUInt64LE(8n);
    const nj = writeTemp(notJson);
    expectUserError(() => loadSafetensors(nj), nj, 'not JSON');

    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 60n);
    const hf = writeTemp(huge);
    expectUserError(() => loadSafetensors(hf), hf, 'implausible');

    const tiny = writeTemp(Buffer.from([1, 2, 3]));
    expectUserError(() => loadSafetensors(tiny), tiny, 'not a valid safetensors file');

    expectUserError(() => saveSafetensors(join(tmp.dir, 'bad.safetensors'), { w: { shape: [2], data: new Float32Array(3) } }), 'bad.safetensors', "tensor 'w'");
    expectUserError(() => saveSafetensors(join(tmp.dir, 'nodir', 'x.safetensors'), {}), 'cannot write');
  });
});
