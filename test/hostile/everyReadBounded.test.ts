/**
 * Issue 28 item 3: one bounded reader for every file the tool reads. Each reader meets what an adversarial user can
 * put where a file should be: a FIFO (opening it for reading waits for a writer), /dev/zero (never ends), a folder,
 * a dangling or looping link, a line of 604 MB, a gzip bomb. Every one must end at once in a UserError naming the
 * file, with bounded memory. The calls run in child processes (./inChild.ts) with a time bound.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { cell, record } from '../ablation/helpers.js';
import { callInChild, callsInChild, refusedClearly, type Call, type ChildOutcome } from './inChild.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-read-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const COMMITTED_LATENCY = path.join(ROOT, 'test/fixtures/latency/wasm-two-runs.json');
const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

/** what an adversary puts where a file should be */
type Hostile = 'fifo' | 'devzero' | 'folder' | 'dangling' | 'loop';
const HOSTILE: Hostile[] = ['fifo', 'devzero', 'folder', 'dangling', 'loop'];

function plant(p: string, kind: Hostile): void {
  mkdirSync(path.dirname(p), { recursive: true });
  if (kind === 'fifo') mkfifo(p);
  else if (kind === 'devzero') symlinkSync('/dev/zero', p);
  else if (kind === 'folder') mkdirSync(p);
  else if (kind === 'dangling') symlinkSync(path.join(tmp, 'no-such-target'), p);
  else symlinkSync(p, p);
}

let n = 0;
const fresh = (name: string) => {
  const d = path.join(tmp, `${name}-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const NOT_A_FILE = /not a regular file|symbolic link (to nothing|that loops)|not found/;
const STORE = 'src/ablation/store.js';
const REPORT = 'src/report/inputs.js';

/** Every case: a name, the call, and what its outcome must be. */
interface Case {
  name: string;
  call: Call;
  check: (o: ChildOutcome) => void;
}
const cases: Case[] = [];
const refused = (re: RegExp) => (o: ChildOutcome) => refusedClearly(o, re);
const accepted = (result?: unknown) => (o: ChildOutcome) => {
  expect(o.ok, JSON.stringify(o)).toBe(true);
  if (result !== undefined) expect(o.result).toEqual(result);
};

function validRuns(dir: string): void {
  const c0 = cell(0, { deepTraining: false });
  writeFileSync(path.join(dir, 'runs.jsonl'), `${JSON.stringify(record(c0, 1, 80))}\n${JSON.stringify(record(c0, 2, 81))}\n`);
}

for (const kind of HOSTILE) {
  const runs = path.join(fresh('runs'), 'runs.jsonl');
  plant(runs, kind);
  cases.push({
    name: `runs.jsonl as ${kind}: readRuns`,
    call: { module: STORE, fn: 'readRuns', args: [runs], pick: 'records.length' },
    check: refused(NOT_A_FILE),
  });

  const store = fresh('store');
  plant(path.join(store, 'runs.jsonl'), kind);
  const open = [store, { resume: true, experiment: 'exp', preset: 'quick' }];
  cases.push({
    name: `runs.jsonl as ${kind}: the run store (ablate --resume)`,
    call: { module: STORE, fn: 'RunStore.open', args: open, pick: 'file' },
    check: refused(NOT_A_FILE),
  });

  const lat = path.join(fresh('lat'), 'wasm-x-2c.json');
  plant(lat, kind);
  // a dangling or looping link is no file at all: nothing stored (null), never a hang
  const none = kind === 'dangling' || kind === 'loop';
  cases.push({
    name: `a latency results file as ${kind}`,
    call: { module: 'src/results/latencyFile.js', fn: 'readLatencyFile', args: [lat] },
    check: none ? accepted(null) : refused(/corrupt latency results file .*not a regular file/),
  });

  const rep = fresh('report-lat');
  plant(path.join(rep, 'latency', 'wasm-x-2c.json'), kind);
  cases.push({
    name: `the report with latency/<name>.json as ${kind}`,
    call: { module: REPORT, fn: 'loadReportInputs', args: [rep], pick: 'latency.length' },
    check: none ? accepted(0) : refused(/not a regular file/),
  });

  const exp = fresh('report-exp');
  const sub = path.join(exp, 'ablation', 'smoke-test');
  mkdirSync(sub, { recursive: true });
  validRuns(sub);
  plant(path.join(sub, 'experiment.json'), kind);
  cases.push({
    // the declaration decides which comparisons get a verdict: one that cannot be read is refused, naming it; a
    // dangling link is no declaration (the folder is shown, every comparison interim)
    name: `the report with ablation/<exp>/experiment.json as ${kind}: ${none ? 'no declaration' : 'refused, naming it'}`,
    call: { module: REPORT, fn: 'loadReportInputs', args: [exp], pick: 'ablation.length' },
    check: none ? accepted(1) : refused(/experiment file .* is not a regular file/),
  });
}
for (const kind of ['fifo', 'devzero', 'folder'] as Hostile[]) {
  const d = fresh('lock');
  plant(path.join(d, '.lock'), kind);
  cases.push({
    name: `the run store's .lock as ${kind}`,
    call: { module: STORE, fn: 'RunStore.open', args: [d, { resume: true, experiment: 'exp', preset: 'quick' }], pick: 'file' },
    check: refused(/lock/),
  });
  const t = path.join(fresh('torchlat'), 'torch-gpu.json');
  plant(t, kind);
  cases.push({
    name: `a PyTorch latency file as ${kind}`,
    call: { module: 'src/results/torchLatency.js', fn: 'readTorchLatencyFile', args: [t] },
    check: refused(/not a regular file/),
  });
}
for (const kind of ['dangling', 'loop', 'devzero'] as Hostile[]) {
  const d = fresh('report-sub');
  plant(path.join(d, 'ablation', 'table2-full'), kind);
  cases.push({
    name: `the report with ablation/<exp> as ${kind} (a link where a folder should be): passed over`,
    call: { module: REPORT, fn: 'loadReportInputs', args: [d], pick: 'ablation.length' },
    check: accepted(0),
  });
}
for (const kind of ['devzero', 'fifo'] as Hostile[]) {
  for (const top of ['ablation', 'latency']) {
    const d = fresh('report-top');
    plant(path.join(d, top), kind);
    cases.push({
      name: `the report with ${top}/ as ${kind} (a file where a folder should be)`,
      call: { module: REPORT, fn: 'loadReportInputs', args: [d], pick: 'ablation.length' },
      check: refused(/is not a folder/),
    });
  }
}
// data and model files: a FIFO is refused at once
const fifoFiles: [string, string, string, (f: string) => unknown[]][] = [
  ['an --input-npy .npy', 'src/interop/npy.js', 'readNpy', (f) => [f]],
  ['a .pth checkpoint', 'src/interop/pth.js', 'loadTorchStateDict', (f) => [f]],
  ['a .safetensors file', 'src/interop/safetensors.js', 'loadSafetensors', (f) => [f]],
  ['an IDX file', 'src/data/idx.js', 'readIdxFile', (f) => [f, 'images']],
  ['a zip archive', 'src/interop/zip.js', 'ZipArchive.open', (f) => [f]],
  ["a model folder's model.json", 'src/nn/modelFolder.js', 'readModelFolder', (f) => [path.dirname(f)]],
];
for (const [what, module, fn, args] of fifoFiles) {
  const f = path.join(fresh('fifo'), fn === 'readModelFolder' ? 'model.json' : 'x.bin');
  mkfifo(f);
  cases.push({ name: `${what} as a FIFO`, call: { module, fn, args: args(f) }, check: refused(/not a regular file|FIFO/) });
}

let outcomes: ChildOutcome[] = [];
beforeAll(async () => {
  ensureBuilt(['dist/src/ablation/store.js', 'dist/src/results/latencyFile.js', 'dist/src/report/inputs.js', 'dist/src/data/idx.js']);
  outcomes = await callsInChild(
    cases.map((c) => c.call),
    { timeoutMs: 60_000 },
  );
}, 900_000);

describe('a FIFO, /dev/zero, a folder, a dangling or looping link where a file or folder should be', () => {
  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    cases[i].check(outcomes[i]);
    expect(outcomes[i].ms).toBeLessThan(5000);
  });
});

describe('long lines and large files (bounded memory)', () => {
  it('a runs.jsonl of one 604 MB line (no newline) is a torn line, not a crash; a 100 MB line between records is skipped, and the report names its line', async () => {
    const lone = path.join(fresh('long'), 'runs.jsonl');
    writeFileSync(lone, '');
    truncateSync(lone, 604 * 2 ** 20); // sparse: costs no disk
    const d = fresh('long-mid');
    const sub = path.join(d, 'ablation', 'smoke-test');
    mkdirSync(sub, { recursive: true });
    const f = path.join(sub, 'runs.jsonl');
    const c0 = cell(0, { deepTraining: false });
    writeFileSync(f, `${JSON.stringify(record(c0, 1, 80))}\n`);
    truncateSync(f, 100 * 2 ** 20);
    execFileSync('sh', ['-c', `printf '\\n%s\\n' '${JSON.stringify(record(c0, 2, 81))}' >> ${f}`]);
    const [torn, mid, report] = await callsInChild(
      [
        { module: STORE, fn: 'readRuns', args: [lone], pick: 'torn' },
        { module: STORE, fn: 'readRuns', args: [f], pick: 'records.length' },
        { module: REPORT, fn: 'loadReportInputs', args: [d] },
      ],
      { timeoutMs: 60_000 },
    );
    accepted(true)(torn);
    accepted(2)(mid);
    refusedClearly(report, /runs\.jsonl: line 2: ignoring a line of \d+ bytes, longer than a record may be/);
    expect(report.maxRssMiB!).toBeLessThan(400);
  });
  it('a runs.jsonl over 1 GiB and a latency file over 256 MiB are refused by their size before anything is read', async () => {
    const f = path.join(fresh('huge'), 'runs.jsonl');
    writeFileSync(f, '');
    truncateSync(f, 3 * 2 ** 30);
    const l = path.join(fresh('hugelat'), 'wasm-x-2c.json');
    copyFileSync(COMMITTED_LATENCY, l);
    truncateSync(l, 300 * 2 ** 20);
    const [a, b] = await callsInChild([
      { module: STORE, fn: 'readRuns', args: [f] },
      { module: 'src/results/latencyFile.js', fn: 'readLatencyFile', args: [l] },
    ]);
    refusedClearly(a, /too large/);
    refusedClearly(b, /too large/);
    expect(a.ms + b.ms).toBeLessThan(5000);
  });
});

describe('gzip IDX files inflate at most to what their header declares', () => {
  /** a gzip stream whose IDX header declares `images` 28x28 images but which inflates to `members` x 64 MiB more */
  function bomb(images: number, members: number, header?: Buffer): Buffer {
    const head = gzipSync(header ?? Buffer.from(encodeIdx([images, 28, 28], new Uint8Array(images * 784))));
    const zeros = gzipSync(Buffer.alloc(64 * 2 ** 20), { level: 9 });
    return Buffer.concat([head, ...Array.from({ length: members }, () => zeros)]);
  }
  it('a 1 MB gzip file that inflates to 1 GiB stops at its declared size; a header declaring too much is refused first', async () => {
    const f = path.join(fresh('bomb'), 'train-images-idx3-ubyte.gz');
    const b = bomb(100, 16);
    expect(b.length).toBeLessThan(2 ** 21);
    writeFileSync(f, b);
    const o = await callInChild({ module: 'src/data/idx.js', fn: 'readIdxFile', args: [f, 'images'] });
    refusedClearly(o, /inflates to more than/);
    expect(o.maxRssMiB!).toBeLessThan(400);

    const hdr = Buffer.from(encodeIdx([4, 2, 2], new Uint8Array(16)));
    hdr.writeUInt32BE(2_000_000, 4);
    hdr.writeUInt32BE(28 * 28, 8); // 2e6 x 784 x 2 bytes declared
    const g = path.join(fresh('bomb2'), 'train-images-idx3-ubyte.gz');
    writeFileSync(g, bomb(0, 1, hdr));
    const p = await callInChild({ module: 'src/data/idx.js', fn: 'readIdxFile', args: [g, 'images'] });
    refusedClearly(p, /declares \d+ bytes of data, more than/);
    expect(p.maxRssMiB!).toBeLessThan(400);
  });
  it('an honest gzip IDX file still reads', async () => {
    const f = path.join(fresh('ok'), 'train-images-idx3-ubyte.gz');
    writeFileSync(f, gzipSync(Buffer.from(encodeIdx([3, 28, 28], new Uint8Array(3 * 784).fill(7)))));
    accepted([3, 28, 28])(await callInChild({ module: 'src/data/idx.js', fn: 'readIdxFile', args: [f, 'images'], pick: 'dims' }));
  });
});
