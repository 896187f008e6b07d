/**
 * XNNPACK errors inside tfjs-wasm. When XNNPACK cannot create or set up an operator (out of memory in the wasm heap,
 * typically after many large models in one process), the backend prints "XNN status for ... is not successful"
 * and goes on: the op then runs with whatever its buffers hold, so a timing or an output taken then belongs to a
 * broken model. The module prints through a console.warn it bound when it loaded, so the watcher listens where that
 * ends up, process.stderr, collecting those lines while a measurement runs (everything still reaches stderr), so that
 * the caller can refuse the measurement.
 */

const XNN_ERROR = /XNN status for (\w+) is not successful\. Got status (\d+)/;

/** xnn_status values (XNNPACK's xnnpack.h) */
const XNN_STATUS: Record<number, string> = {
  1: 'uninitialized',
  2: 'invalid parameter',
  3: 'invalid state',
  4: 'unsupported parameter',
  5: 'unsupported hardware',
  6: 'out of memory',
};

export interface XnnErrorWatch {
  /** the XNNPACK errors seen since the last call, described ("xnn_create_convolution2d_nhwc_f32: out of memory") */
  take(): string[];
  /** restores process.stderr.write */
  stop(): void;
}

/** Starts collecting XNNPACK's error lines from what is written to process.stderr. */
export function watchXnnErrors(): XnnErrorWatch {
  const stderr = process.stderr;
  const original = stderr.write;
  let seen: string[] = [];
  stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const m = XNN_ERROR.exec(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '');
    if (m) {
      const status = Number(m[2]);
      seen.push(`${m[1]}: ${XNN_STATUS[status] ?? 'status'} (${status})`);
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stderr.write;
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
    stop() {
      stderr.write = original;
    },
  };
}

/** One line for a measurement refused because of XNNPACK errors. */
export function xnnErrorReason(errors: readonly string[]): string {
  const distinct = [...new Set(errors)];
  return `XNNPACK failed while it ran (${distinct.join('; ')}${errors.length > distinct.length ? `; ${errors.length} errors in all` : ''}): its timings are not trusted`;
}
