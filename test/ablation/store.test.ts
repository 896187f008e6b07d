import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRuns, RunStore } from '../../src/ablation/store.js';
import { cell, record } from './helpers.js';

const root = mkdtempSync(path.join(tmpdir(), 'vb-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fresh = () => mkdtempSync(path.join(root, 'd-'));
const c0 = cell(0, { deepTraining: false });

describe('run store', () => {
  it('appends complete lines; reads back; the last record of a run wins', () => {
    const dir = fresh();
    const s = RunStore.open(dir, { resume: false, experiment: 'exp', preset: 'quick' });
    s.append(record(c0, 1, null, { status: 'failed', message: 'boom' }));
    s.append(record(c0, 2, 80));
    s.append(record(c0, 1, 81));
    s.close();
    const text = readFileSync(path.join(dir, 'runs.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).seed),
    ).toEqual([1, 2, 1]);
    const r = readRuns(path.join(dir, 'runs.jsonl'));
    expect(r.records).toHaveLength(3);
    expect(r.latest.size).toBe(2);
    expect(r.latest.get('cell0-s1')?.status).toBe('ok');
    expect(r.latest.get('cell0-s1')?.valTop1).toBe(81);
    expect(existsSync(path.join(dir, '.lock'))).toBe(false);
  });

  it('a torn final line is ignored with a warning, and cut before the next append on resume', () => {
    const dir = fresh();
    const file = path.join(dir, 'runs.jsonl');
    const full = JSON.stringify(record(c0, 1, 80));
    writeFileSync(file, `${full}\n${full.slice(0, 57)}`);
    const warnings: string[] = [];
    const r = readRuns(file, (w) => warnings.push(w));
    expect(r.records).toHaveLength(1);
    expect(r.torn).toBe(true);
    expect(warnings.join()).toMatch(/incomplete last line/);

    const s = RunStore.open(dir, { resume: true, experiment: 'exp', preset: 'quick', warn: (w) => warnings.push(w) });
    s.append(record(c0, 2, 82));
    s.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).seed)).toEqual([1, 2]);
    expect(warnings.join()).toMatch(/cut the incomplete last line/);
  });

  it('a corrupt line in the middle is skipped; an empty or missing file reads as empty', () => {
    const dir = fresh();
    const file = path.join(dir, 'runs.jsonl');
    expect(readRuns(file).records).toEqual([]);
    writeFileSync(file, `${JSON.stringify(record(c0, 1, 80))}\n{"runId": tor\n{"not":"a record"}\n${JSON.stringify(record(c0, 2, 81))}\n`);
    const warnings: string[] = [];
    const r = readRuns(file, (w) => warnings.push(w));
    expect(r.records.map((x) => x.seed)).toEqual([1, 2]);
    // one warning for the file: the first bad line (file:line) and how many more
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/runs\.jsonl: line 2: ignoring a line that is not JSON .*\(and 1 more line ignored: 3\)/);
    expect(r.torn).toBe(false);
  });

  it('existing results without --resume: refused, suggesting --resume or --out; other experiment/preset refused', () => {
    const dir = fresh();
    const s = RunStore.open(dir, { resume: false, experiment: 'exp', preset: 'quick' });
    s.append(record(c0, 1, 80));
    s.close();
    expect(() => RunStore.open(dir, { resume: false, experiment: 'exp', preset: 'quick' })).toThrow(/already holds results: add --resume .* or --out DIR/);
    expect(() => RunStore.open(dir, { resume: true, experiment: 'exp', preset: 'full' })).toThrow(/preset quick, not exp preset full: use --out/);
    expect(readRuns(path.join(dir, 'runs.jsonl')).records).toHaveLength(1);
    RunStore.open(dir, { resume: true, experiment: 'exp', preset: 'quick' }).close();
  });

  it('a live lock refuses a second coordinator; a stale one (dead pid) is taken over', () => {
    const dir = fresh();
    const s = RunStore.open(dir, { resume: false, experiment: 'exp', preset: 'quick' });
    writeFileSync(path.join(dir, '.lock'), `${process.ppid}\n`); // a live process that is not us
    expect(() => RunStore.open(dir, { resume: true, experiment: 'exp', preset: 'quick' })).toThrow(/in use by another ablate run/);
    s.close();
    writeFileSync(path.join(dir, '.lock'), '999999999\n');
    const again = RunStore.open(dir, { resume: true, experiment: 'exp', preset: 'quick' });
    expect(readFileSync(path.join(dir, '.lock'), 'utf8').trim()).toBe(String(process.pid));
    again.close();
  });
});
