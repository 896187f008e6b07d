/** The entry point: no command is a usage mistake (exit 2, the usage on stderr); dist/src/cli.js runs like the bin. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';

const node = (...args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
beforeAll(() => ensureBuilt(['dist/src/cli.js']));

describe('vanillabench with no command', () => {
  it('prints the usage on stderr and exits 2', () => {
    const r = node(path.join('bin', 'vanillabench.js'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: vanillabench <command> \[flags\]\n/);
    expect(r.stderr).toContain('  train ');
  });
  it('--help prints it on stdout and exits 0', () => {
    const r = node(path.join('bin', 'vanillabench.js'), '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: vanillabench/);
  });
});

describe('node dist/src/cli.js', () => {
  it('runs the command it is given, as bin/vanillabench.js does', () => {
    const r = node(path.join('dist', 'src', 'cli.js'), 'zoo', '--models', 'vanillanet-5', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([{ name: 'vanillanet-5', depth: 5 }]);
    expect(node(path.join('dist', 'src', 'cli.js')).status).toBe(2);
  });
});
