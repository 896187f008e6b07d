/**
 * Capturing what native code writes to fd 2 (src/util/nativeStderr.ts), in a child process whose stderr is each
 * kind a user's may be: a FIFO (a shell pipe), a file opened for appending, a file shared with stdout and not
 * appending (`>log 2>&1`: must stay uncaptured, or stdout would write over what stderr adds), and a socket (Node's
 * own pipes: cannot be reopened, so uncaptured). "Native" writes are fs.writeSync(2), which is what fprintf does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../support/build.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-native-stderr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// writes: stdout "out 1", stderr "err 1", a captured call writing "native" to fd 2, stderr "err 2", stdout "out 2",
// then the capture's result as JSON on stdout
const SCRIPT = `
import { writeSync } from 'node:fs';
const { captureNativeStderr } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/util/nativeStderr.js'))});
process.stdout.write('out 1\\n');
process.stderr.write('err 1\\n');
const r = captureNativeStderr(() => { writeSync(2, 'native\\n'); return 42; });
process.stderr.write('err 2\\n');
process.stdout.write('out 2\\n' + JSON.stringify(r) + '\\n');
`;

const run = (stdio: (number | 'pipe')[]) =>
  new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { stdio: ['ignore', ...stdio] });
    let [stdout, stderr] = ['', ''];
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
const result = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { value: number; output: string; captured: boolean };

describe.runIf(process.platform === 'linux')('captureNativeStderr', () => {
  beforeAll(() => ensureBuilt(['dist/src/util/nativeStderr.js']), 120_000);

  it('a FIFO (shell pipe): captured, and stderr works as before afterwards', () => {
    const r = spawnSync('bash', ['-c', `node --input-type=module -e "$SCRIPT" 2> >(cat >&2)`], { env: { ...process.env, SCRIPT }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(result(r.stdout)).toEqual({ value: 42, output: 'native\n', captured: true });
    expect(r.stderr).toBe('err 1\nerr 2\n');
  });

  it('a file opened for appending: captured', async () => {
    const file = path.join(tmp, 'append.txt');
    const fd = openSync(file, 'a');
    const r = await run(['pipe', fd]);
    closeSync(fd);
    expect(r.code).toBe(0);
    expect(result(r.stdout)).toEqual({ value: 42, output: 'native\n', captured: true });
    expect(readFileSync(file, 'utf8')).toBe('err 1\nerr 2\n');
  });

  it('a file shared with stdout, not appending (>log 2>&1): left alone, nothing overwritten', async () => {
    const file = path.join(tmp, 'shared.txt');
    const fd = openSync(file, 'w');
    const r = await run([fd, fd]);
    closeSync(fd);
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(result(text)).toEqual({ value: 42, output: '', captured: false });
    expect(text.startsWith('out 1\nerr 1\nnative\nerr 2\nout 2\n')).toBe(true);
  });

  it("a socket (Node's pipes): left alone", async () => {
    const r = await run(['pipe', 'pipe']);
    expect(r.code).toBe(0);
    expect(result(r.stdout)).toEqual({ value: 42, output: '', captured: false });
    expect(r.stderr).toBe('err 1\nnative\nerr 2\n');
  });
});
