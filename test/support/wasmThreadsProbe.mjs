// Prints the logits of two small zoo models on a fixed input, on tfjs-wasm with the threads given (argv[2]), as JSON.
// Run by test/backend/wasmThreads.test.ts in a fresh process per thread count (the count is fixed per process).
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../dist/src/backend/select.js';
import { modelOptions } from '../../dist/src/models/zoo.js';
import { Model } from '../../dist/src/nn/model.js';

const threads = Number(process.argv[2]);
const info = await selectBackend('wasm', { wasmThreads: threads });
const out = { threadCount: info.threadCount, threads: info.threads, logits: {} };
for (const name of ['vanillanet-5', 'resnet-18']) {
  const model = Model.create(name, modelOptions(name, { width: 1 / 8, inputSize: 64, numClasses: 10 }), 'deploy', 3);
  const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 7);
  const y = model.predict(x);
  out.logits[name] = Array.from(await y.data());
  tf.dispose([x, y]);
  model.dispose();
}
process.stdout.write(JSON.stringify(out));
