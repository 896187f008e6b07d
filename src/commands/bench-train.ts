/** `vanillabench bench-train`: training images/s of the reference model on every backend configuration. */
import { BENCH_BACKENDS, benchTrain, REFERENCE } from '../bench/trainBench.js';
import { table } from './zoo.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { log, printJson } from '../util/output.js';

export const summary = 'training throughput of VanillaNet-6 (width 1/16, 32x32, batch 64) on cpu/wasm/tensorflow/webgpu, stock vs our kernels';

const SPEC = {
  command: 'bench-train',
  summary,
  flags: {
    minTimeMs: { type: 'number', min: 0, default: 5000, description: 'minimum timed milliseconds per configuration' },
    minSteps: { type: 'number', integer: true, min: 1, default: 5, description: 'minimum timed steps per configuration' },
    skipCpuStock: { type: 'boolean', default: false, description: 'skip the (very slow) stock cpu kernels' },
    backend: { type: 'string', default: 'all', choices: BENCH_BACKENDS, description: "time one backend only ('all': each one, saying why one cannot run)" },
  },
} as const satisfies CommandSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const r = await benchTrain({ minMs: f.minTimeMs, minSteps: f.minSteps, log, skipCpuStock: f.skipCpuStock, backend: f.backend });
  if (f.json) {
    printJson(r);
    return;
  }
  console.log(`${REFERENCE.model} width ${REFERENCE.width}, ${r.inputSize}x${r.inputSize}, batch ${r.batch}, lambda ${REFERENCE.lambda}: ` +
    `${(r.macsPerImage / 1e6).toFixed(3)} MMACs per image (training form); wasm matMul ceiling ${Number.isNaN(r.wasmMatmulGflops) ? '- (wasm not timed)' : `${r.wasmMatmulGflops.toFixed(1)} GFLOP/s`}`);
  console.log(table(['backend', 'kernels', 'images/s', 'GFLOP/s', 'steps', 'note'], r.results.map((x) => [
    x.device ? `${x.backend} (${x.device})` : x.backend, x.kernels, x.imagesPerSec?.toFixed(1) ?? '-', x.gflops?.toFixed(2) ?? '-', String(x.steps), x.reason ?? '',
  ])));
}
