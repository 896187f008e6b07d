/** Finding a Python with torch, and the one-line error when there is none; the exchange's augmentation parameters. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTorchPython } from '../../src/crosscheck/python.js';
import { applyAugment, augmentParams } from '../../src/crosscheck/exchange.js';
import { augmentImage } from '../../src/data/transforms.js';
import { deriveSeed, Rng } from '../../src/data/rng.js';
import { UserError } from '../../src/util/errors.js';
import { ROOT, ensureBuilt } from '../support/build.js';

describe('findTorchPython', () => {
  it('names the interpreter given and how to install torch when it has none', () => {
    const err = (() => {
      try {
        findTorchPython('/nonexistent/python3');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/--python \(\/nonexistent\/python3\) was not found.*apt-get install python3-torch/);
  });
  it('reads VANILLABENCH_PYTHON', () => {
    expect(() => findTorchPython(undefined, { VANILLABENCH_PYTHON: '/nonexistent/py' })).toThrow(/VANILLABENCH_PYTHON \(\/nonexistent\/py\)/);
  });
  it('the CLI ends with one line, no stack trace', () => {
    ensureBuilt(['dist/src/commands/crosscheck.js']);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'vanillabench.js'), 'crosscheck', '--python', '/nonexistent/python3'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/apt-get install python3-torch/);
  });
});

describe('exchange: augmentation parameters', () => {
  it('cropping and flipping by the exported parameters reproduces augmentImage', () => {
    const [h, w, c] = [6, 5, 2];
    const src = Float32Array.from({ length: h * w * c }, (_, i) => i + 1);
    for (let j = 0; j < 40; j++) {
      const dst = new Float32Array(src.length);
      augmentImage(src, dst, h, w, c, new Rng(deriveSeed(7, 'augment', 2, j)), { padding: 2 }, [-1, -2]);
      expect(applyAugment(src, h, w, c, augmentParams(7, 2, j, { padding: 2 }), [-1, -2])).toEqual(dst);
    }
  });
});
