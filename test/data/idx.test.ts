import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { encodeIdx, loadIdxPair, parseIdx, readIdxFile } from '../../src/data/idx.js';
import { asyncErrorOf, tempDir, userErrorOf } from './helpers.js';

const N = 5;
const H = 3;
const W = 4;
const pixels = Uint8Array.from({ length: N * H * W }, (_, i) => (i * 37) % 256);
const labelBytes = Uint8Array.from([0, 3, 1, 2, 3]);

let dir: string;
let cleanup: () => void;

function write(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

describe('IDX reader', () => {
  it.each([
    ['raw', (b: Uint8Array) => b],
    ['gzip', (b: Uint8Array) => new Uint8Array(gzipSync(b))],
  ])('round-trips %s files', (kind, enc) => {
    const imagesFile = write(`img-${kind}`, enc(encodeIdx([N, H, W], pixels)));
    const labelsFile = write(`lab-${kind}`, enc(encodeIdx([N], labelBytes)));
    const ds = loadIdxPair({ imagesFile, labelsFile, name: 'tiny', numClasses: 4 });
    expect(ds.n).toBe(N);
    expect([ds.height, ds.width, ds.channels, ds.numClasses]).toEqual([H, W, 1, 4]);
    expect(Array.from(ds.labels)).toEqual(Array.from(labelBytes));
    expect(ds.images.length).toBe(N * H * W);
    for (let i = 0; i < pixels.length; i++) expect(ds.images[i]).toBeCloseTo(pixels[i] / 255, 6);
    expect(ds.source).toContain(imagesFile);
  });

  it('infers numClasses from the labels when not given', () => {
    const imagesFile = write('img-inf', encodeIdx([N, H, W], pixels));
    const labelsFile = write('lab-inf', encodeIdx([N], labelBytes));
    expect(loadIdxPair({ imagesFile, labelsFile, name: 't' }).numClasses).toBe(4);
  });

  it('reports a truncated raw file with expected and actual sizes', () => {
    const full = encodeIdx([N, H, W], pixels);
    const f = write('trunc', full.subarray(0, full.length - 7));
    const e = userErrorOf(() => readIdxFile(f, 'images'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/truncated/);
    expect(e.message).toContain(String(full.length));
    expect(e.message).toContain(String(full.length - 7));
  });

  it('reports a truncated gzip file', () => {
    const gz = gzipSync(encodeIdx([N, H, W], pixels));
    const f = write('trunc.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const e = userErrorOf(() => readIdxFile(f, 'images'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/truncated/);
  });

  it('reports an oversized file', () => {
    const full = encodeIdx([N], labelBytes);
    const f = write('big', Uint8Array.from([...full, 1, 2, 3]));
    const e = userErrorOf(() => readIdxFile(f, 'labels'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
    expect(e.message).toContain(`${full.length} bytes`);
    expect(e.message).toContain(`${full.length + 3} bytes`);
  });

  it('rejects a PNG with one clear message naming the file', async () => {
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    const f = write('not-idx.png', png);
    const e = userErrorOf(() => readIdxFile(f, 'images'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/not an IDX file/);
    expect(e.message).toMatch(/PNG/);
  });

  it('rejects random bytes and empty files', () => {
    const rnd = Uint8Array.from({ length: 1000 }, (_, i) => ((i * 7919 + 13) % 251) | 1);
    const f = write('random.bin', rnd);
    const e = userErrorOf(() => readIdxFile(f, 'labels'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
    const g = write('empty', new Uint8Array(0));
    expect(userErrorOf(() => readIdxFile(g)).message).toMatch(/empty/);
  });

  it('rejects a corrupt gzip stream', () => {
    const gz = new Uint8Array(gzipSync(encodeIdx([N, H, W], pixels)));
    for (let i = 12; i < gz.length - 8; i++) gz[i] ^= 0x5a;
    const f = write('corrupt.gz', gz);
    const e = userErrorOf(() => readIdxFile(f, 'images'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
  });

  it('detects swapped image/label files and unsupported element types', () => {
    const lab = write('lab-swap', encodeIdx([N], labelBytes));
    const e = userErrorOf(() => readIdxFile(lab, 'images'));
    expect(e.message).toMatch(/swapped/);
    const float = encodeIdx([N], labelBytes);
    float[2] = 0x0d;
    const e2 = userErrorOf(() => parseIdx(float, 'f.idx', 'labels'));
    expect(e2).toBeInstanceOf(UserError);
    expect(e2.message).toMatch(/float32.*not supported/);
  });

  it('rejects image/label count mismatch', () => {
    const imagesFile = write('img-mm', encodeIdx([N, H, W], pixels));
    const labelsFile = write('lab-mm', encodeIdx([N - 1], labelBytes.subarray(0, N - 1)));
    const e = userErrorOf(() => loadIdxPair({ imagesFile, labelsFile, name: 'mm' }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(imagesFile);
    expect(e.message).toContain(labelsFile);
    expect(e.message).toMatch(/5 images.*4 labels/);
  });

  it('rejects out-of-range labels', () => {
    const imagesFile = write('img-r', encodeIdx([N, H, W], pixels));
    const labelsFile = write('lab-r', encodeIdx([N], Uint8Array.from([0, 1, 2, 10, 1])));
    const e = userErrorOf(() => loadIdxPair({ imagesFile, labelsFile, name: 'r', numClasses: 10 }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toMatch(/label 10 at index 3 is out of range 0\.\.9/);
  });

  it('names a missing file', async () => {
    const e = await asyncErrorOf(async () => readIdxFile(join(dir, 'nope.gz'), 'images'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('nope.gz');
  });
});
