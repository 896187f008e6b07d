/**
 * Benchmark of the local worker pool's scaling (not a test): the same matrix through `vanillabench ablate
 * --workers N` for each N, repeated, interleaved (1, 2, 1, 2, ...) so drift in the machine's load hits every N alike.
 *
 *   node dist/scripts/bench/poolBench.js [--experiment experiments/smoke.ts] [--presets test,quick] [--workers 1,2]
 *                                    [--repeat 3] [--backend auto] [--save results/bench/pool-scaling.json]
 *
 * Per preset and N: the wall time of the whole command (spawn to exit: node start-up, tfjs, worker start-up all
 * counted), its median/min/max over the repeats, the speed-up against the smallest N, and the mean wall time of
 * one run inside a worker (how much the workers slow each other down). The load average before each repeat is
 * kept: figures taken on a busy machine say so. One JSON document on stdout (and in --save), a table on stderr.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RUNS_FILE } from '../../src/ablation/store.js';
import { UserError } from '../../src/util/errors.js';
import { percentile } from '../../src/util/stats.js';
import { emitBenchDocument, timeAblate } from './ablateCli.js';

interface Sample {
  seconds: number;
  runnerSeconds: number;
  meanRunSeconds: number;
  runs: number;
  loadavg1: number;
}

export interface PoolScalingRow {
  preset: string;
  workers: number;
  samples: Sample[];
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  meanRunSeconds: number;
  /** median wall time of the fewest workers / this one's */
  speedup: number;
}

function positiveInts(text: string, flag: string): number[] {
  const values = text.split(',').filter(Boolean).map(Number);
  if (!values.length || values.some((v) => !Number.isInteger(v) || v < 1))
    throw new UserError(`--${flag}: expected positive integers separated by commas, got '${text}'`);
  return values;
}

function backendOf(out: string): string {
  const first = readFileSync(path.join(out, RUNS_FILE), 'utf8').split('\n')[0];
  return (JSON.parse(first) as { backend: string }).backend;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      experiment: { type: 'string', default: 'experiments/smoke.ts' },
      presets: { type: 'string', default: 'test,quick' },
      workers: { type: 'string', default: '1,2' },
      repeat: { type: 'string', default: '3' },
      backend: { type: 'string', default: 'auto' },
      save: { type: 'string' },
    },
  });
  const workers = positiveInts(values.workers!, 'workers').sort((a, b) => a - b);
  const [repeat] = positiveInts(values.repeat!, 'repeat');
  const presets = values.presets!.split(',').filter(Boolean);
  const tmp = mkdtempSync(path.join(tmpdir(), 'vb-pool-bench-'));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const rows: PoolScalingRow[] = [];
  let backend = '';
  const started = new Date().toISOString();
  try {
    for (const preset of presets) {
      const samples = new Map<number, Sample[]>(workers.map((n) => [n, []]));
      for (let r = 0; r < repeat; r++) {
        for (const n of workers) {
          const out = path.join(tmp, `${preset}-${n}-${r}`);
          const loadavg1 = os.loadavg()[0];
          const t = await timeAblate(path.resolve(values.experiment!), [
            '--preset',
            preset,
            '--workers',
            String(n),
            '--out',
            out,
            '--backend',
            values.backend!,
          ]);
          const records = readFileSync(path.join(out, RUNS_FILE), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { wallSeconds: number });
          backend = backendOf(out);
          const sample = {
            seconds: t.seconds,
            runnerSeconds: t.result.wallSeconds,
            runs: records.length,
            loadavg1,
            meanRunSeconds: records.reduce((a, x) => a + x.wallSeconds, 0) / records.length,
          };
          samples.get(n)!.push(sample);
          log(
            `${preset}, ${n} worker${n > 1 ? 's' : ''}, repeat ${r + 1}/${repeat}: ${sample.seconds.toFixed(2)} s (${sample.runs} runs, ${sample.meanRunSeconds.toFixed(2)} s each; load ${loadavg1.toFixed(2)})`,
          );
          rmSync(out, { recursive: true, force: true });
        }
      }
      const base = percentile(
        samples.get(workers[0])!.map((s) => s.seconds),
        50,
      );
      for (const n of workers) {
        const s = samples.get(n)!;
        const secs = s.map((x) => x.seconds);
        const median = percentile(secs, 50);
        rows.push({
          preset,
          workers: n,
          samples: s,
          medianSeconds: median,
          minSeconds: Math.min(...secs),
          maxSeconds: Math.max(...secs),
          meanRunSeconds: s.reduce((a, x) => a + x.meanRunSeconds, 0) / s.length,
          speedup: base / median,
        });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`\n${values.experiment} on ${backend}, ${repeat} repeats each (wall time of the whole command, spawn to exit):`);
  log('preset | workers | median s | min-max s | s per run | speed-up');
  for (const r of rows)
    log(
      `${r.preset} | ${r.workers} | ${r.medianSeconds.toFixed(2)} | ${r.minSeconds.toFixed(2)}-${r.maxSeconds.toFixed(2)} | ${r.meanRunSeconds.toFixed(2)} | ${r.speedup.toFixed(2)}x`,
    );
  emitBenchDocument({ benchmark: 'pool-scaling', experiment: values.experiment, backend, repeat, started, rows }, 'poolBench.js', values.save);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof UserError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
