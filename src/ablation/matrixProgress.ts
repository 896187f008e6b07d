/**
 * The live display of a running matrix: one status line per worker (its run, epoch, step, loss, speed) and an overall
 * line with the runs done, their outcomes and the ETA, drawn by the StatusBlock of util/output.ts; a log line per
 * finished run above it.
 */
import type { ExecutorEvent } from './executor.js';
import { describeFactors, type RunDescription } from './matrix.js';
import { barText, formatDuration, StatusBlock } from '../util/output.js';

function runName(run: RunDescription): string {
  return `${run.cell.label} ${describeFactors(run.cell.factors)} seed ${run.seed}`;
}

/** One status line per worker and an overall line with ETA, drawn by the StatusBlock of util/output.ts. */
export class MatrixProgress {
  private readonly lines: string[];
  private readonly fraction: number[];
  private readonly start = performance.now();
  private readonly display = new StatusBlock();
  private done = 0;
  private readonly counts = { ok: 0, diverged: 0, failed: 0 };

  constructor(
    private readonly total: number,
    workers: number,
  ) {
    this.lines = Array.from({ length: workers }, () => 'starting');
    this.fraction = Array.from({ length: workers }, () => 0);
  }

  event(e: ExecutorEvent): void {
    switch (e.kind) {
      case 'worker':
        if (e.state === 'died') this.print(`worker ${e.worker + 1}: ${e.message ?? 'died'}; starting a new one`);
        this.lines[e.worker] = e.state === 'ready' ? 'ready' : e.state === 'stopped' ? 'done' : 'starting';
        this.fraction[e.worker] = 0;
        break;
      case 'start':
        this.lines[e.worker] = `${runName(e.run)} | loading data`;
        this.fraction[e.worker] = 0;
        break;
      case 'step': {
        const name = this.lines[e.worker].split(' | ')[0];
        this.lines[e.worker] =
          `${name} | epoch ${e.epoch}/${e.epochs} step ${e.step}/${e.stepsPerEpoch} loss ${e.loss.toFixed(3)} | ${e.imagesPerSec.toFixed(0)} img/s`;
        this.fraction[e.worker] = e.epochs > 0 ? Math.min(1, (e.epoch - 1 + e.step / e.stepsPerEpoch) / e.epochs) : 0;
        break;
      }
      case 'epoch':
        break;
      case 'record': {
        const r = e.record;
        this.done++;
        this.counts[r.status]++;
        this.fraction[e.worker] = 0;
        this.lines[e.worker] = 'idle';
        const top1 = r.valTop1 !== null ? `top-1 ${r.valTop1.toFixed(2)}` : (r.message ?? '').slice(0, 160);
        this.print(
          `[${this.done}/${this.total}] ${r.status} ${r.cell.label} ${describeFactors(r.cell.factors)} seed ${r.seed}: ${top1} (${formatDuration(r.wallSeconds)})`,
        );
        return;
      }
    }
    this.display.set(this.block());
  }

  private overall(final = false): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const progress = Math.min(this.total, this.done + this.fraction.reduce((a, b) => a + b, 0));
    const frac = this.total ? progress / this.total : 1;
    const bar = this.display.tty ? ` ${barText(frac)}` : '';
    const eta = final
      ? `in ${formatDuration(elapsed)}`
      : progress > 0 && frac < 1
        ? `${formatDuration(elapsed)} elapsed, ETA ${formatDuration((elapsed * (this.total - progress)) / progress)}`
        : `${formatDuration(elapsed)} elapsed`;
    const c = this.counts;
    return `overall${bar} ${this.done}/${this.total} runs ${(frac * 100).toFixed(0)}% | ok ${c.ok}, diverged ${c.diverged}, failed ${c.failed} | ${eta}`;
  }

  private block(): string[] {
    return [...this.lines.map((l, i) => `worker ${i + 1}: ${l}`), this.overall()];
  }

  /** A log line above the status block. */
  print(line: string): void {
    this.display.print(line);
  }

  finish(): void {
    this.display.finish([this.overall(true)]);
  }
}
