import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  decodeImage,
  imagenetEvalPreprocess,
  listImageFolder,
  loadImageFolder,
  loadImageFolderSplits,
} from '../../src/data/imageFolder.js';
import { asyncErrorOf, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;

/** A w x h RGB image with vertical bands: left quarter green, middle half red, right quarter blue. */
function bands(w: number, h: number): Buffer {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (x < w / 4) px[o + 1] = 255;
      else if (x < (3 * w) / 4) px[o] = 255;
      else px[o + 2] = 255;
    }
  }
  return px;
}

async function png(file: string, w: number, h: number, rgb: [number, number, number] | 'bands'): Promise<void> {
  const img =
    rgb === 'bands'
      ? sharp(bands(w, h), { raw: { width: w, height: h, channels: 3 } })
      : sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await img.png().toFile(file);
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  const root = join(dir, 'flat');
  for (const c of ['zebra', 'apple', 'Mango']) mkdirSync(join(root, c), { recursive: true });
  await png(join(root, 'apple', 'a1.png'), 40, 20, [200, 0, 0]);
  await png(join(root, 'apple', 'a2.PNG'), 20, 40, [190, 10, 0]);
  await png(join(root, 'zebra', 'z1.png'), 30, 30, [0, 0, 200]);
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00c800' } })
    .jpeg()
    .toFile(join(root, 'zebra', 'z2.JPEG'));
  await sharp(Buffer.alloc(25 * 25, 128), { raw: { width: 25, height: 25, channels: 1 } })
    .png()
    .toFile(join(root, 'Mango', 'gray.png'));
  writeFileSync(join(root, 'Mango', 'notes.txt'), 'ignored');
});
afterAll(() => cleanup());

describe('image folder', () => {
  it('lists classes sorted by code point and files case-insensitively by extension', () => {
    const l = listImageFolder(join(dir, 'flat'));
    expect(l.classNames).toEqual(['Mango', 'apple', 'zebra']);
    expect(l.files.map((f) => f.label)).toEqual([0, 1, 1, 2, 2]);
    expect(l.files.some((f) => f.file.endsWith('notes.txt'))).toBe(false);
  });

  it('decodes, resizes and labels images; grayscale is repeated to RGB', async () => {
    const ds = await loadImageFolder({ root: join(dir, 'flat'), size: 8 });
    expect(ds.n).toBe(5);
    expect([ds.height, ds.width, ds.channels, ds.numClasses]).toEqual([8, 8, 3, 3]);
    expect(ds.classNames).toEqual(['Mango', 'apple', 'zebra']);
    const pixel = (i: number, y: number, x: number) =>
      Array.from(ds.images.subarray((i * 64 + y * 8 + x) * 3, (i * 64 + y * 8 + x) * 3 + 3), (v) => Math.round(v * 255));
    expect(pixel(0, 4, 4)).toEqual([128, 128, 128]);
    expect(pixel(1, 0, 0)).toEqual([200, 0, 0]);
    expect(pixel(3, 7, 7)).toEqual([0, 0, 200]);
    const g = pixel(4, 3, 3);
    expect(Math.abs(g[1] - 200)).toBeLessThan(4);
  });

  it('crop mode keeps the centre, resize mode keeps everything', async () => {
    const f = join(dir, 'bands.png');
    await png(f, 40, 20, 'bands');
    const crop = await decodeImage(f, { height: 10, width: 10, mode: 'crop', kernel: 'nearest' });
    const full = await decodeImage(f, { height: 10, width: 10, mode: 'resize', kernel: 'nearest' });
    const at = (a: Float32Array, y: number, x: number) => Array.from(a.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3));
    expect(at(crop, 5, 0)).toEqual([1, 0, 0]); // centre crop: all red
    expect(at(crop, 5, 9)).toEqual([1, 0, 0]);
    expect(at(full, 5, 0)).toEqual([0, 1, 0]); // plain resize: green band on the left
    expect(at(full, 5, 9)).toEqual([0, 0, 1]); // blue band on the right
  });

  it('names an undecodable image', async () => {
    const root = join(dir, 'broken');
    mkdirSync(join(root, 'cls'), { recursive: true });
    await png(join(root, 'cls', 'ok.png'), 10, 10, [1, 2, 3]);
    const bad = join(root, 'cls', 'bad.png');
    writeFileSync(bad, 'this is not a png');
    const e = await asyncErrorOf(() => loadImageFolder({ root, size: 8 }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(bad);
    expect(e.message).toMatch(/cannot decode image/);
  });

  it('rejects a missing or empty root', async () => {
    expect(await asyncErrorOf(() => loadImageFolder({ root: join(dir, 'absent'), size: 8 }))).toBeInstanceOf(UserError);
    mkdirSync(join(dir, 'empty'));
    const e = await asyncErrorOf(() => loadImageFolder({ root: join(dir, 'empty'), size: 8 }));
    expect(e.message).toMatch(/no class sub-directories/);
  });

  it('uses train/ and val/ sub-folders with the training class list', async () => {
    const root = join(dir, 'tv');
    for (const [split, cls, n] of [
      ['train', 'cat', 2],
      ['train', 'dog', 2],
      ['val', 'dog', 1],
    ] as const) {
      mkdirSync(join(root, split, cls), { recursive: true });
      for (let i = 0; i < n; i++) await png(join(root, split, cls, `${i}.png`), 12, 12, [i * 50, 0, 0]);
    }
    const s = await loadImageFolderSplits({ root, size: 6 });
    expect(s.train.n).toBe(4);
    expect(s.test.n).toBe(1);
    expect(s.test.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(s.test.labels)).toEqual([1]);
  });

  it('holds out a seeded stratified test split from a flat folder', async () => {
    const root = join(dir, 'holdout');
    for (const cls of ['a', 'b']) {
      mkdirSync(join(root, cls), { recursive: true });
      for (let i = 0; i < 5; i++) await png(join(root, cls, `${i}.png`), 6, 6, [i * 40, cls === 'a' ? 0 : 255, 0]);
    }
    const s1 = await loadImageFolderSplits({ root, size: 4, testFraction: 0.4, seed: 3 });
    const s2 = await loadImageFolderSplits({ root, size: 4, testFraction: 0.4, seed: 3 });
    expect(s1.train.n).toBe(6);
    expect(s1.test.n).toBe(4);
    expect(Array.from(s1.test.labels).sort()).toEqual([0, 0, 1, 1]);
    expect(s1.test.images).toEqual(s2.test.images);
  });

  it('ImageNet eval preprocessing: 224x224x3, normalised', async () => {
    const f = join(dir, 'solid.png');
    await png(f, 400, 300, [124, 116, 104]);
    const x = await imagenetEvalPreprocess(f, 224);
    expect(x.length).toBe(224 * 224 * 3);
    for (const i of [0, 1, 2, 224 * 112 * 3 + 3, x.length - 1]) {
      const c = i % 3;
      const expected = ([124, 116, 104][c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
      expect(Math.abs(x[i] - expected)).toBeLessThan(2 / 255 / IMAGENET_STD[c]);
    }
    // Same result from encoded bytes.
    const { readFileSync } = await import('node:fs');
    const y = await imagenetEvalPreprocess(readFileSync(f), 224);
    expect(y).toEqual(x);
  });
});
