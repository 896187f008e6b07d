/**
 * XNNPACK's error lines: tfjs-wasm prints them through a console.warn it bound when its module loaded, so the watcher
 * must catch them where that bound function writes (process.stderr), not by replacing console.warn. Run in a plain
 * Node process: the test runner replaces the console with its own.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { xnnErrorReason } from '../../src/backend/xnnErrors.js';
import { ensureBuilt, ROOT } from '../support/build.js';

const MODULE = path.join(ROOT, 'dist/src/backend/xnnErrors.js');
const LINE = (op: string, status: number) => `XNN status for ${op} is not successful. Got status ${status}. Use -c dbg to see XNN logs.`;

beforeAll(() => ensureBuilt(['dist/src/backend/xnnErrors.js']));

describe('watchXnnErrors', () => {
  it("collects the lines of a console.warn bound before it started (as the wasm module's is), passes them on, and stops", () => {
    const script = `
      const boundEarlier = console.warn.bind(console);
      const { watchXnnErrors } = await import(${JSON.stringify(pathToFileURL(MODULE).href)});
      const watch = watchXnnErrors();
      boundEarlier(${JSON.stringify(LINE('xnn_create_convolution2d_nhwc_f32', 6))});
      boundEarlier('an unrelated warning');
      boundEarlier(${JSON.stringify(LINE('xnn_setup_convolution2d_nhwc_f32', 2))});
      const first = watch.take();
      const second = watch.take();
      watch.stop();
      boundEarlier(${JSON.stringify(LINE('xnn_create_convolution2d_nhwc_f32', 6))});
      console.log(JSON.stringify({ first, second, afterStop: watch.take() }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      first: ['xnn_create_convolution2d_nhwc_f32: out of memory (6)', 'xnn_setup_convolution2d_nhwc_f32: invalid parameter (2)'],
      second: [],
      afterStop: [],
    });
    // every line still reaches stderr
    expect(r.stderr.split('\n').filter((l) => l.startsWith('XNN status'))).toHaveLength(3);
    expect(r.stderr).toContain('an unrelated warning');
  });

  it('says why a measurement is refused, each error once', () => {
    const e = 'xnn_create_convolution2d_nhwc_f32: out of memory (6)';
    expect(xnnErrorReason([e, e])).toBe(`XNNPACK failed while it ran (${e}; 2 errors in all): its timings are not trusted`);
  });
});
