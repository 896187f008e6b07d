/** `vanillabench bench-train`: training images/s of one model cell (default: the reference model) on every backend configuration. */
import { BENCH_BACKENDS, benchTrain, REFERENCE } from '../bench/trainBench.js';
import { table } from './zoo.js';
import { checkModelName } from '../models/zoo.js';
import { MODEL_FLAGS, modelOptionsFromFlags } from './modelFlags.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { log, printJson } from '../util/output.js';

export const summary =
  'training throughput of one model cell (default VanillaNet-6, width 1/16, 32x32, batch 64) on cpu/wasm/tensorflow/webgpu, stock vs our kernels';

const SPEC = {
  command: 'bench-train',
  summary,
  flags: {
    minTimeMs: { type: 'number', min: 0, default: 5000, description: 'minimum timed milliseconds per configuration' },
    minSteps: { type: 'number', integer: true, min: 1, default: 5, description: 'minimum timed steps per configuration' },
    skipCpuStock: { type: 'boolean', default: false, description: 'skip the (very slow) stock cpu kernels' },
    backend: { type: 'string', default: 'all', choices: BENCH_BACKENDS, description: "time one backend only ('all': each one, saying why one cannot run)" },
    model: { type: 'string', default: REFERENCE.model, description: 'model name (see zoo)' },
    batchSize: { type: 'number', integer: true, min: 1, default: REFERENCE.batch, description: 'batch size' },
    lambda: { type: 'number', min: 0, max: 1, default: REFERENCE.lambda, description: 'deep-training lambda during the timed steps' },
    profile: { type: 'boolean', default: false, description: 'per-kernel time shares on wasm/cpu (always on with --json)' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  checkModelName(f.model);
  const options = modelOptionsFromFlags(f, { width: REFERENCE.width, input: REFERENCE.inputSize, classes: REFERENCE.classes });
  const cell = { model: f.model, options, batch: f.batchSize, lambda: f.lambda };
  const r = await benchTrain({
    minMs: f.minTimeMs,
    minSteps: f.minSteps,
    log,
    skipCpuStock: f.skipCpuStock,
    backend: f.backend,
    cell,
    profile: f.profile || f.json,
  });
  if (f.json) {
    printJson(r);
    return;
  }
  const o = r.options;
  console.log(
    `${r.model} width ${o.width}, ${r.inputSize}x${r.inputSize}, stem ${o.stem}, deep training ${o.deepTraining ? 'on' : 'off'}, ` +
      `series act ${o.seriesAct ? 'on' : 'off'}, shortcut ${o.shortcut ?? '-'}, batch ${r.batch}, lambda ${r.lambda}: ` +
      `${(r.macsPerImage / 1e6).toFixed(3)} MMACs per image (training form); wasm matMul ceiling ${Number.isNaN(r.wasmMatmulGflops) ? '- (wasm not timed)' : `${r.wasmMatmulGflops.toFixed(1)} GFLOP/s`}`,
  );
  console.log(
    table(
      ['backend', 'kernels', 'images/s', 'per CPU s', 'GFLOP/s', 'steps', 'note'],
      r.results.map((x) => [
        x.device ? `${x.backend} (${x.device})` : x.backend,
        x.kernels,
        x.imagesPerSec?.toFixed(1) ?? '-',
        x.imagesPerCpuSec?.toFixed(1) ?? '-',
        x.gflops?.toFixed(2) ?? '-',
        String(x.steps),
        x.reason ?? '',
      ]),
    ),
  );
  for (const x of r.results) {
    if (!x.profile) continue;
    console.log(`\n${x.backend} (our kernels) profile, per step:`);
    console.log(
      table(
        ['kernel', 'ms', 'calls', 'share'],
        x.profile.slice(0, 15).map((k) => [k.kernel, k.msPerStep.toFixed(2), k.callsPerStep.toFixed(0), `${(100 * k.share).toFixed(1)}%`]),
      ),
    );
  }
}
