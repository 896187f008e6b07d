/** Issue 17 item 4: ordinary mistakes end in one clear message (exit 1), never "internal error" or a hang. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
let tmp: string;

beforeAll(() => {
  ensureBuilt(['dist/src/cli.js', 'dist/src/commands/train.js', 'dist/src/commands/ablate.js']);
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-cli-'));
  writeFileSync(path.join(tmp, 'a-file'), 'x');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function clearRefusal(r: ReturnType<typeof cli>, message: RegExp): void {
  expect(r.error, 'the command hung').toBeUndefined();
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('--out naming something that cannot be an output folder', () => {
  const train = (out: string) =>
    cli('train', '--model', 'vanillanet-5', '--dataset', 'synthetic', '--train-size', '64', '--epochs', '1', '--backend', 'cpu', '--out', out);
  const ablate = (out: string) => cli('ablate', 'experiments/smoke.ts', '--preset', 'test', '--backend', 'cpu', '--out', out);
  it('an existing file', () => {
    clearRefusal(train(path.join(tmp, 'a-file')), /--out .*a-file is a file, not a folder/);
    clearRefusal(ablate(path.join(tmp, 'a-file')), /--out .*a-file is a file, not a folder/);
  });
  it('a path under a file (/dev/null/x)', () => {
    clearRefusal(train('/dev/null/x'), /--out \/dev\/null\/x: \/dev\/null is not a folder/);
    clearRefusal(ablate(path.join(tmp, 'a-file', 'x')), /is not a folder/);
  });
  it('/proc/x is refused at once, not a hang', () => {
    clearRefusal(train('/proc/x'), /--out \/proc\/x .*(virtual|system) file ?system/);
  });
});

describe('experiment files', () => {
  it('a syntax error shows the error text and its location', () => {
    const file = path.join(tmp, 'broken.ts');
    writeFileSync(file, "export default {\n  name: 'x',,\n};\n");
    const r = cli('ablate', file, '--out', path.join(tmp, 'o1'));
    clearRefusal(r, /broken\.ts:2:\d+/);
    expect(r.stderr).not.toMatch(/Transform failed with 1 error:\s*$/m);
  });
  it('a file with no default export says so', () => {
    const file = path.join(tmp, 'nodefault.ts');
    writeFileSync(file, "export const experiment = { name: 'x' };\n");
    clearRefusal(cli('ablate', file, '--out', path.join(tmp, 'o2')), /has no default export/);
  });
});

describe('runs.jsonl', () => {
  it('a bad line is warned about once', () => {
    const out = path.join(tmp, 'resume');
    mkdirSync(out);
    writeFileSync(path.join(out, 'runs.jsonl'), 'this is not json\n');
    const r = cli('ablate', 'experiments/smoke.ts', '--preset', 'test', '--backend', 'wasm', '--workers', '1', '--resume', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.match(/ignoring a line that is not JSON/g)).toHaveLength(1);
  });
});
