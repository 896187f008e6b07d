/**
 * Issue 17 item 6: a fuzz test per reader of untrusted files (pickle, zip, safetensors, npy, IDX, model folder),
 * seeded mutations of the committed fixtures. Each input must end in a UserError or a result that checks out,
 * within a per-input time bound and a bound on memory growth. Counts and times go to stderr (FUZZ lines).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ZipArchive } from '../../src/interop/zip.js';
import { unpickle } from '../../src/interop/pickle.js';
import { loadTorchStateDict, TORCH_GLOBALS, TorchStorageRef } from '../../src/interop/pth.js';
import { loadSafetensors, saveSafetensors } from '../../src/interop/safetensors.js';
import { parseNpy } from '../../src/interop/npy.js';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';
import { loadLayersModelFolder } from '../../src/nn/modelFolder.js';
import { writeSmallModelFolder } from '../hostile/helpers.js';
import { fixture, tempDir } from '../interop/helpers.js';
import { fuzz, type FuzzOptions, type FuzzReport } from './mutate.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
/** up to a few thousand inputs per reader, stopping after 3 s (a deterministic prefix of the seeded sequence: fewer on a busy machine) */
const opts = (seed: number, count: number): FuzzOptions => ({ seed, count, budgetMs: 3000, perInputMs: 2000, heapGrowthMiB: 256 });

function check(name: string, rep: FuzzReport): void {
  process.stderr.write(
    `FUZZ ${name}: ${rep.tried} inputs in ${rep.seconds.toFixed(1)} s (${rep.accepted} read, ${rep.refused} refused with a UserError; slowest ${rep.slowestMs.toFixed(0)} ms)\n`,
  );
  expect(rep.findings, rep.findings.join('\n\n')).toEqual([]);
  expect(rep.tried).toBeGreaterThanOrEqual(100);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe('fuzz: readers of untrusted files', () => {
  it('zip (the fixture checkpoint.pth as an archive, every entry read)', async () => {
    const base = readFileSync(fixture('checkpoint.pth'));
    check(
      'zip',
      await fuzz(
        base,
        (bytes) => {
          const z = ZipArchive.fromBytes(bytes, 'fuzz.zip');
          for (const n of z.names()) {
            const e = z.entry(n)!;
            const data = z.read(n);
            if (data.length !== e.size) throw new Error(`read ${data.length} bytes of '${n}', the directory says ${e.size}`);
          }
        },
        opts(1, 3000),
      ),
    );
  });

  it("pickle (the fixture checkpoint's data.pkl, torch globals)", async () => {
    const z = ZipArchive.open(fixture('checkpoint.pth'));
    const pkl = z.read(z.names().find((n) => n.endsWith('data.pkl'))!);
    z.close();
    check(
      'pickle',
      await fuzz(
        pkl,
        (bytes) =>
          unpickle(bytes, {
            label: 'fuzz.pkl',
            globals: TORCH_GLOBALS,
            persistentLoad: (pid) => {
              const [, , key, , numel] = Array.isArray(pid) ? pid : [];
              return new TorchStorageRef(String(key), 'FloatStorage', 'float32', typeof numel === 'number' ? numel : 0, 'cpu');
            },
          }),
        opts(2, 4000),
      ),
    );
  });

  it('pth (mutated deploy.pth files through loadTorchStateDict: zip + pickle + storages)', async () => {
    const base = readFileSync(fixture('deploy.pth'));
    const file = join(tmp.dir, 'fuzz.pth');
    check(
      'pth',
      await fuzz(
        base,
        (bytes) => {
          writeFileSync(file, bytes);
          for (const [name, t] of loadTorchStateDict(file, 'model')) {
            if (t.data.length !== size(t.shape)) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape}]`);
          }
        },
        opts(3, 1000),
      ),
    );
  });

  it('safetensors (the fixture deploy weights saved as safetensors)', async () => {
    const tensors = loadTorchStateDict(fixture('deploy.pth'), 'model');
    const base = join(tmp.dir, 'base.safetensors');
    saveSafetensors(base, tensors, { source: 'deploy.pth' });
    const file = join(tmp.dir, 'fuzz.safetensors');
    check(
      'safetensors',
      await fuzz(
        readFileSync(base),
        (bytes) => {
          writeFileSync(file, bytes);
          for (const [name, t] of loadSafetensors(file)) {
            if (t.data.length !== size(t.shape)) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape}]`);
          }
        },
        opts(4, 2000),
      ),
    );
  });

  it('npy (the fixture input.npy)', async () => {
    check(
      'npy',
      await fuzz(
        readFileSync(fixture('input.npy')),
        (bytes) => {
          const a = parseNpy(bytes, 'fuzz.npy');
          if (a.data.length !== size(a.shape)) throw new Error(`${a.data.length} values for shape [${a.shape}]`);
        },
        opts(5, 4000),
      ),
    );
  });

  it('IDX (the fixture input as uint8 images, plain and gzipped)', async () => {
    const x = parseNpy(readFileSync(fixture('input.npy')), 'input.npy');
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const pixels = Uint8Array.from(x.data.subarray(0, n * h * w), (v) => Math.max(0, Math.min(255, Math.round(v * 64 + 128))));
    const plain = encodeIdx([n, h, w], pixels);
    void c;
    const checkIdx = (bytes: Buffer) => {
      const a = parseIdx(bytes, 'fuzz-idx3-ubyte');
      if (a.data.length !== size(a.dims)) throw new Error(`${a.data.length} bytes for dims [${a.dims}]`);
    };
    check('idx', await fuzz(plain, checkIdx, opts(6, 3000)));
    check('idx.gz', await fuzz(gzipSync(plain), checkIdx, opts(7, 1500)));
  });

  describe('model folder', () => {
    let good: string;
    beforeAll(async () => {
      good = join(tmp.dir, 'good');
      await writeSmallModelFolder(good);
    });
    const load = async (dir: string) => {
      const before = tf.memory().numTensors;
      const m = await loadLayersModelFolder(dir);
      m.dispose();
      if (tf.memory().numTensors > before) throw new Error(`${tf.memory().numTensors - before} tensors leaked`);
    };
    it('model.json mutated', async () => {
      const dir = join(tmp.dir, 'mj');
      mkdirSync(dir);
      writeFileSync(join(dir, 'weights.bin'), readFileSync(join(good, 'weights.bin')));
      check(
        'model folder (model.json)',
        await fuzz(
          readFileSync(join(good, 'model.json')),
          async (bytes) => {
            writeFileSync(join(dir, 'model.json'), bytes);
            await load(dir);
          },
          opts(8, 600),
        ),
      );
    });
    it('weights.bin mutated', async () => {
      const dir = join(tmp.dir, 'wb');
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.json'), readFileSync(join(good, 'model.json')));
      check(
        'model folder (weights.bin)',
        await fuzz(
          readFileSync(join(good, 'weights.bin')),
          async (bytes) => {
            writeFileSync(join(dir, 'weights.bin'), bytes);
            await load(dir);
          },
          opts(9, 400),
        ),
      );
    });
  });
});
