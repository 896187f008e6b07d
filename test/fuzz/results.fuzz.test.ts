/**
 * Issue 28 item 8: the fuzzers extended to results files. Seeded mutations (structural: a field set to a hostile
 * value, deleted, repeated, turned into text or 1e400; and byte-level) of the committed results: runs.jsonl through
 * the store's reader, the analysis and the summary and report formatting; a latency file through its reader, the
 * report's latency tables and claims and a merge; the reference trainer's result.json through its checks. Each input
 * ends in a UserError (or, for the reference result, the Error that becomes a failed record) or in output that
 * checks out, within the time and memory bounds of ./mutate.ts. Counts go to stderr (FUZZ lines).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../../src/ablation/analysis.js';
import { readRuns } from '../../src/ablation/store.js';
import { summaryCsv, summaryMarkdown } from '../../src/ablation/summary.js';
import { checkRunResult, checkStepsResult } from '../../src/crosscheck/referenceResult.js';
import { readAblationDir } from '../../src/report/ablationSection.js';
import { selectLatency, zooAtPaperSetting } from '../../src/report/inputs.js';
import { latencyClaims } from '../../src/report/latencyClaims.js';
import { otherLatencySection, provenanceSection, table4Section } from '../../src/report/latencySection.js';
import { formatLatencyJson, latencyCsv, mergeLatency, readLatencyFile } from '../../src/results/latencyFile.js';
import { buildReport } from '../../src/report/report.js';
import { tempDir } from '../interop/helpers.js';
import { ROOT } from '../support/build.js';
import { fuzz, mutate, mutateJson, type FuzzOptions, type FuzzReport } from './mutate.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
/** VB_FUZZ_SCALE=20: 20 times the inputs and time (a longer search, by hand; the suite runs 1) */
const SCALE = Math.max(1, Number(process.env.VB_FUZZ_SCALE) || 1);
const opts = (seed: number, count: number, lines: boolean): FuzzOptions => ({
  seed,
  count: count * SCALE,
  budgetMs: 2000 * SCALE,
  perInputMs: 2000,
  heapGrowthMiB: 256,
  // 3 of 4 inputs structural (they reach the checks past the JSON parser), 1 of 4 byte-level
  mutator: (base, r) => (r() < 0.75 ? mutateJson(base, r, lines) : mutate(base, r)),
});

function check(name: string, rep: FuzzReport, min = 50): void {
  process.stderr.write(
    `FUZZ ${name}: ${rep.tried} inputs in ${rep.seconds.toFixed(1)} s (${rep.accepted} read, ${rep.refused} refused; slowest ${rep.slowestMs.toFixed(0)} ms)\n`,
  );
  expect(rep.findings, rep.findings.join('\n\n')).toEqual([]);
  expect(rep.tried).toBeGreaterThanOrEqual(min);
  expect(rep.refused).toBeGreaterThan(0);
}

const inRange = (x: number) => !Number.isFinite(x) || (x >= 0 && x <= 100);
const zoo = zooAtPaperSetting();

describe('fuzz: results files', () => {
  it('runs.jsonl (the committed table2-long matrix): reader, analysis, summary.md/csv, the report reader', async () => {
    const base = readFileSync(join(ROOT, 'results/ablation/table2-long/runs.jsonl'));
    const dir = join(tmp.dir, 'results');
    const sub = join(dir, 'ablation', 'table2-long');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'runs.jsonl');
    check(
      'runs.jsonl',
      await fuzz(
        base,
        (bytes) => {
          writeFileSync(file, bytes);
          let s;
          try {
            // the report's path: any bad line is a UserError naming file:line
            s = readAblationDir(dir, [], [])[0]?.summary;
          } catch (err) {
            // ablate's path: bad lines left out with one warning, the rest summarised
            s = summarize(readRuns(file, () => {}).records);
            if (s.records > 0 || s.cells.length > 0) summaryMarkdown(s);
            throw err;
          }
          if (!s) return;
          summaryMarkdown(s);
          summaryCsv(s);
          for (const c of s.cells) {
            if (!inRange(c.top1.mean) || !inRange(c.deployTop1))
              throw new Error(`cell ${c.cell.label}: mean ${c.top1.mean}, deploy ${c.deployTop1} outside 0..100`);
          }
        },
        opts(11, 3000, true),
      ),
    );
  });

  it('a latency results file (the committed one): reader, Table 4, the other tables, claims, provenance, a merge', async () => {
    const base = readFileSync(join(ROOT, 'test/fixtures/latency/wasm-two-runs.json'));
    const file = join(tmp.dir, 'wasm-x-2c.json');
    check(
      'latency json',
      await fuzz(
        base,
        (bytes) => {
          writeFileSync(file, bytes);
          const data = readLatencyFile(file)!;
          const { primary, study, extra, others } = selectLatency([{ file, data }]);
          table4Section(zoo, primary, [...others, ...(study?.members ?? []), ...extra]);
          otherLatencySection(others);
          provenanceSection([{ file, data }]);
          latencyClaims(study, extra, primary ? [primary] : [], zoo);
          const merged = mergeLatency(data, data.backend, data.machine, { ...data.runs[0], runId: 'fuzz' }, []);
          if (merged.rows.some((r) => merged.runs[r.run] === undefined)) throw new Error('a merged row names a missing run');
          latencyCsv(merged);
          JSON.parse(formatLatencyJson(merged));
        },
        opts(12, 2000, false),
      ),
    );
  });

  it("the reference trainer's result.json (a whole run, and a crosscheck's steps)", async () => {
    const epoch = (e: number) => ({
      epoch: e,
      lambda: 0.5,
      lr: 1e-3,
      trainLoss: 1.2,
      trainTop1: 40,
      valLoss: 1.1,
      valTop1: 50,
      imagesPerSec: 10,
      seconds: 1,
      merged: false,
    });
    const run = Buffer.from(
      JSON.stringify({
        format: 1,
        nonce: 'n',
        status: 'ok',
        epochs: [epoch(1), epoch(2)],
        trainTop1: 40,
        valTop1: 50,
        deployValTop1: 50,
        testTop1: 48,
        deployTestTop1: 48,
        imagesPerSec: 10,
        wallSeconds: 2,
      }),
    );
    const ran = await fuzz(
      run,
      (bytes) => {
        let v: unknown;
        try {
          v = JSON.parse(bytes.toString('utf8'));
        } catch {
          return; // the reader's JSON error is a UserError (readReferenceResult)
        }
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
        try {
          const r = checkRunResult(v as Record<string, unknown>, 'result.json', 2);
          if (r.status === 'ok' && r.epochs.length !== 2) throw new Error('an ok result with the wrong number of epochs passed');
        } catch (err) {
          // the executor records this as a failed run: an Error naming the file is the expected refusal
          if (err instanceof Error && err.message.startsWith("the reference trainer's result result.json"))
            throw Object.assign(new Error(err.message), { name: 'UserError' });
          throw err;
        }
      },
      opts(13, 3000, false),
    );
    check('reference result (run)', ran);
    const steps = Buffer.from(
      JSON.stringify({
        format: 1,
        nonce: 'n',
        steps: [1, 2, 3].map((k) => ({ loss: 2 / k, lr: 1e-4, lambda: k / 3 })),
        resync: [1, 2, 3].map(() => ({ loss: 2, tensors: { w: [1, 2, 3, 4] } })),
      }),
    );
    check(
      'reference result (steps)',
      await fuzz(
        steps,
        (bytes) => {
          let v: unknown;
          try {
            v = JSON.parse(bytes.toString('utf8'));
          } catch {
            return;
          }
          if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
          const r = checkStepsResult(v as Record<string, unknown>, 'result.json', 3, true);
          if (r.steps.length !== 3 || r.resync!.length !== 3) throw new Error('a result with the wrong number of steps passed');
        },
        opts(14, 3000, false),
      ),
    );
  });

  it('the whole report (charts included) on mutated results folders: a report or one UserError', async () => {
    const runs = readFileSync(join(ROOT, 'results/ablation/table3-full/runs.jsonl'));
    const latency = readFileSync(join(ROOT, 'test/fixtures/latency/wasm-two-runs.json'));
    let k = 0;
    // the input: runs.jsonl, a NUL, the latency file; one of the two is mutated
    const sep = Buffer.from([0]);
    const both = (base: Uint8Array, r: () => number) => {
      const b = Buffer.from(base);
      const cut = b.indexOf(0);
      const [a, l] = [b.subarray(0, cut), b.subarray(cut + 1)];
      if (r() < 0.6) return { ...mutateJson(a, r, true), bytes: Buffer.concat([mutateJson(a, r, true).bytes, sep, l]) };
      const m = mutateJson(l, r, false);
      return { what: `latency: ${m.what}`, bytes: Buffer.concat([a, sep, m.bytes]) };
    };
    const rep = await fuzz(
      Buffer.concat([runs, sep, latency]),
      async (bytes) => {
        const cut = bytes.indexOf(0);
        const dir = join(tmp.dir, `report-${k++}`);
        mkdirSync(join(dir, 'ablation', 'table3-full'), { recursive: true });
        mkdirSync(join(dir, 'latency'), { recursive: true });
        writeFileSync(join(dir, 'ablation', 'table3-full', 'runs.jsonl'), bytes.subarray(0, cut));
        writeFileSync(join(dir, 'latency', 'wasm-x-2c.json'), bytes.subarray(cut + 1));
        const r = await buildReport({ resultsDir: dir, now: new Date(0) });
        const md = readFileSync(r.report, 'utf8');
        if (/NaN|undefined|Infinity/.test(md)) throw new Error(`REPORT.md shows NaN, undefined or Infinity`);
      },
      { ...opts(15, 40, true), mutator: both, budgetMs: 4000 * SCALE, perInputMs: 8000 },
    );
    check('report (whole)', rep, 5);
  });
});
