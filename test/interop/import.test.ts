/**
 * Importing the authors' PyTorch checkpoints: name/layout mapping, both fixture forms against the PyTorch outputs,
 * an independent NCHW reference forward (written from the PyTorch semantics, straight on the state dict), clear
 * mismatch errors, key selection, safetensors, and the CLI end to end (import, then predict).
 *
 * The fixture's expected logits barely depend on the input (its randomly initialised 1x1 convs shrink the signal
 * ~10x per layer: the two rows agree to 4e-9), so at the 1e-4 tolerance they check the classifier and the biases
 * and BN terms that reach the output, not the early layers' layouts. The reference-forward test covers those: it
 * amplifies the convs and the input until the logits depend on every layer, and compares in that regime.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTorchStateDict, readNpy, saveSafetensors } from '../../src/interop/index.js';
import type { LoadedTensor } from '../../src/interop/tensor.js';
import { detectTorchForm, importTorchStateDict, mapTorchStateDict, toTorchStateDict, torchParams } from '../../src/interop/torchMapping.js';
import { importCheckpoint, loadCheckpoint } from '../../src/commands/import.js';
import { topK } from '../../src/commands/predict.js';
import { describeModel, modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { loadLayersModelFolder } from '../../src/nn/modelFolder.js';
import { initWeights, randomizeForCheck, disposeWeights } from '../../src/nn/weights.js';
import { CHECKPOINT_MODEL, DEPLOY_MODEL } from './fixtureTensors.js';
import { PickleBuilder, buildTorchZip, expectUserError, f32Bytes, fixture, pushStateDict, tempDir, type FakeTensor } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = tempDir();
const FLAGS = ['--model', 'vanillanet-5', '--width', '0.0625', '--classes', '10', '--input', '64'];
const options = modelOptions('vanillanet-5', { width: 0.0625, numClasses: 10, inputSize: 64 });
const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => tmp.cleanup());

const input = readNpy(fixture('input.npy'));
const expectedTrain = readNpy(fixture('expected_train.npy'));
const expectedDeploy = readNpy(fixture('expected_deploy.npy'));

const nhwc = (data: Float32Array, shape: number[]): tf.Tensor4D =>
  tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]));

/** max |a - b| / max |b| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

function predict(m: Model, data: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => m.predict(nhwc(data, shape)).dataSync() as Float32Array);
}

const measured: Record<string, number> = {};
afterAll(() => console.log('measured relative errors vs the fixture / reference:', JSON.stringify(measured)));

describe('the mapping: names and layouts', () => {
  it('expects exactly the fixture tensors in each form (num_batches_tracked aside)', () => {
    const train = torchParams(describeModel('vanillanet-5', options, 'train'));
    const deploy = torchParams(describeModel('vanillanet-5', options, 'deploy'));
    const shapes = (rows: [string, number[], string][]) => new Map(rows.filter(([n]) => !n.endsWith('num_batches_tracked')).map(([n, s]) => [n, s.join(',')]));
    expect(new Map(train.map((p) => [p.torchName, p.torchShape.join(',')]))).toEqual(shapes(CHECKPOINT_MODEL));
    expect(new Map(deploy.map((p) => [p.torchName, p.torchShape.join(',')]))).toEqual(shapes(DEPLOY_MODEL));
    expect(detectTorchForm(CHECKPOINT_MODEL.map(([n]) => n))).toBe('train');
    expect(detectTorchForm(DEPLOY_MODEL.map(([n]) => n))).toBe('deploy');
    expect(detectTorchForm(['foo.weight'])).toBeUndefined();
  });

  it('conv OIHW -> HWIO, depthwise [C,1,k,k] -> [k,k,C,1], classifier [out,in,1,1] -> [in,out], BN by name', () => {
    const sd = loadTorchStateDict(fixture('checkpoint.pth'), 'model');
    const desc = describeModel('vanillanet-5', options, 'train');
    const w = mapTorchStateDict(sd, desc, { source: 'checkpoint.pth', options });
    try {
      const at = (name: string, idx: number[]) => {
        const t = sd.get(name)!;
        let flat = 0;
        for (let d = 0; d < idx.length; d++) flat = flat * t.shape[d] + idx[d];
        return t.data[flat];
      };
      const ours = (key: string, idx: number[]) => (w.get(key)!.arraySync() as number[][][][])[idx[0]][idx[1]][idx[2]][idx[3]];
      // stem1.0: torch [o=5, i=2, y=1, x=3] -> ours [y=1, x=3, i=2, o=5]
      expect(ours('stem1.0/kernel', [1, 3, 2, 5])).toBe(at('stem1.0.weight', [5, 2, 1, 3]));
      expect(w.get('stem1.0/kernel')!.shape).toEqual([4, 4, 3, 32]);
      expect(ours('stages.1.act/kernel', [6, 2, 17, 0])).toBe(at('stages.1.act.weight', [17, 0, 6, 2]));
      const cls = w.get('cls1.2/kernel')!;
      expect(cls.shape).toEqual([256, 10]);
      expect((cls.arraySync() as number[][])[200][7]).toBe(at('cls1.2.weight', [7, 200, 0, 0]));
      expect(Array.from(w.get('stages.0.act.bn/movingVariance')!.dataSync())).toEqual(Array.from(sd.get('stages.0.act.bn.running_var')!.data));
      expect(Array.from(w.get('cls1.3/gamma')!.dataSync())).toEqual(Array.from(sd.get('cls1.3.weight')!.data));
    } finally {
      disposeWeights(w);
    }
  });

  it('round-trips random weights of every layer kind through the PyTorch layout', async () => {
    for (const form of ['train', 'deploy'] as const) {
      const desc = describeModel('vanillanet-6', modelOptions('vanillanet-6', { width: 1 / 32, inputSize: 32, numClasses: 7 }), form);
      const w = initWeights(desc, 3);
      randomizeForCheck(desc, w, 4);
      const back = mapTorchStateDict(await toTorchStateDict(desc, w), desc, { source: 'roundtrip' });
      for (const [k, t] of w) expect(Array.from(back.get(k)!.dataSync()), k).toEqual(Array.from(t.dataSync()));
      disposeWeights(w);
      disposeWeights(back);
    }
  });
});

describe('the fixture checkpoints against the PyTorch outputs', () => {
  it('the expected logits are not degenerate across classes', () => {
    for (const e of [expectedTrain, expectedDeploy]) {
      const row = Array.from(e.data.slice(0, 10));
      expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(0.1);
      expect(new Set(row.map((v) => v.toFixed(4))).size).toBe(10);
    }
  });

  it('training form (lambda = 1) reproduces expected_train, and its merge expected_deploy', () => {
    const imp = importTorchStateDict(loadTorchStateDict(fixture('checkpoint.pth'), 'model'), 'vanillanet-5', options, { source: 'checkpoint.pth' });
    expect(imp.form).toBe('train');
    expect(imp.ignored).toHaveLength(13);
    const train = new Model(imp.desc, options, imp.weights);
    train.setLambda(1);
    const y = predict(train, input.data, input.shape);
    measured.trainForm = relErr(y, expectedTrain.data);
    expect(measured.trainForm).toBeLessThanOrEqual(TOL);
    const outRow = Array.from(y.slice(0, 10));
    expect(Math.max(...outRow) - Math.min(...outRow)).toBeGreaterThan(0.1);
    const deploy = train.toDeploy();
    measured.trainMerged = relErr(predict(deploy, input.data, input.shape), expectedDeploy.data);
    expect(measured.trainMerged).toBeLessThanOrEqual(TOL);
    deploy.dispose();
    train.dispose();
  });

  it('deploy form reproduces expected_deploy', () => {
    const imp = importTorchStateDict(loadTorchStateDict(fixture('deploy.pth'), 'model'), 'vanillanet-5', options, { source: 'deploy.pth' });
    expect(imp.form).toBe('deploy');
    const m = new Model(imp.desc, options, imp.weights);
    m.lambda = 1;
    measured.deployForm = relErr(predict(m, input.data, input.shape), expectedDeploy.data);
    expect(measured.deployForm).toBeLessThanOrEqual(TOL);
    m.dispose();
  });

  it('a weight scaled by 1.01 changes the output beyond the tolerance (the check is not vacuous)', () => {
    const imp = importTorchStateDict(loadTorchStateDict(fixture('checkpoint.pth'), 'model'), 'vanillanet-5', options, { source: 'checkpoint.pth' });
    const m = new Model(imp.desc, options, imp.weights);
    m.setLambda(1);
    // cls1.2 is a 1x1 Conv2d in PyTorch (our dense). Early layers would not do: their effect on these logits is
    // ~1e-8 (see the module comment), which is why the reference-forward test below exists.
    const k = imp.weights.get('cls1.2/kernel')!;
    imp.weights.set('cls1.2/kernel', tf.mul(k, 1.01));
    k.dispose();
    measured.perturbedCls12 = relErr(predict(m, input.data, input.shape), expectedTrain.data);
    expect(measured.perturbedCls12).toBeGreaterThan(2 * TOL);
    m.dispose();
  });
});

// ---- an independent reference: the authors' forward in NCHW / OIHW, float64, straight on the state dict ----

interface T4 {
  n: number;
  c: number;
  h: number;
  w: number;
  d: Float64Array;
}

function conv(x: T4, wt: LoadedTensor, bias: LoadedTensor | undefined, stride: number, pad: number, depthwise = false): T4 {
  const [O, I, kh, kw] = wt.shape;
  const h = Math.floor((x.h + 2 * pad - kh) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - kw) / stride) + 1;
  const d = new Float64Array(x.n * O * h * w);
  for (let n = 0; n < x.n; n++) {
    for (let o = 0; o < O; o++) {
      const out = (n * O + o) * h * w;
      for (let i = 0; i < I; i++) {
        const ci = depthwise ? o : i;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = wt.data[((o * I + i) * kh + ky) * kw + kx];
            for (let oy = 0; oy < h; oy++) {
              const iy = oy * stride + ky - pad;
              if (iy < 0 || iy >= x.h) continue;
              for (let ox = 0; ox < w; ox++) {
                const ix = ox * stride + kx - pad;
                if (ix < 0 || ix >= x.w) continue;
                d[out + oy * w + ox] += wv * x.d[((n * x.c + ci) * x.h + iy) * x.w + ix];
              }
            }
          }
        }
      }
      if (bias) for (let p = 0; p < h * w; p++) d[out + p] += bias.data[o];
    }
  }
  return { n: x.n, c: O, h, w, d };
}

/** BatchNorm (eval) over channel c of an NCHW map (h = w = 1 for the classifier). */
function bn(x: T4, sd: Map<string, LoadedTensor>, name: string, eps = 1e-6): T4 {
  const g = sd.get(`${name}.weight`)!.data,
    b = sd.get(`${name}.bias`)!.data;
  const m = sd.get(`${name}.running_mean`)!.data,
    v = sd.get(`${name}.running_var`)!.data;
  const d = x.d.map((val, idx) => {
    const c = Math.floor(idx / (x.h * x.w)) % x.c;
    return ((val - m[c]) / Math.sqrt(v[c] + eps)) * g[c] + b[c];
  });
  return { ...x, d };
}
const relu = (x: T4): T4 => ({ ...x, d: x.d.map((v) => Math.max(0, v)) });
function maxpool2(x: T4): T4 {
  const h = x.h / 2,
    w = x.w / 2;
  const d = new Float64Array(x.n * x.c * h * w);
  for (let nc = 0; nc < x.n * x.c; nc++) {
    for (let y = 0; y < h; y++) {
      for (let z = 0; z < w; z++) {
        const at = (dy: number, dz: number) => x.d[(nc * x.h + 2 * y + dy) * x.w + 2 * z + dz];
        d[(nc * h + y) * w + z] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
      }
    }
  }
  return { ...x, h, w, d };
}
function gap(x: T4): T4 {
  const d = new Float64Array(x.n * x.c);
  for (let nc = 0; nc < x.n * x.c; nc++) {
    let s = 0;
    for (let p = 0; p < x.h * x.w; p++) s += x.d[nc * x.h * x.w + p];
    d[nc] = s / (x.h * x.w);
  }
  return { ...x, h: 1, w: 1, d };
}
const P = (sd: Map<string, LoadedTensor>, n: string) => sd.get(n)!;

/** VanillaNet-5 as the authors' forward() computes it (act_learn = 1: the leaky ReLU is the identity). */
function referenceForward(sd: Map<string, LoadedTensor>, form: 'train' | 'deploy', x: T4): Float64Array {
  if (form === 'deploy') {
    x = conv(x, P(sd, 'stem.0.weight'), P(sd, 'stem.0.bias'), 4, 0);
    x = conv(relu(x), P(sd, 'stem.1.weight'), P(sd, 'stem.1.bias'), 1, 3, true);
    for (let i = 0; i < 3; i++) {
      x = maxpool2(conv(x, P(sd, `stages.${i}.conv.weight`), P(sd, `stages.${i}.conv.bias`), 1, 0));
      x = conv(relu(x), P(sd, `stages.${i}.act.weight`), P(sd, `stages.${i}.act.bias`), 1, 3, true);
    }
    return conv(gap(x), P(sd, 'cls.2.weight'), P(sd, 'cls.2.bias'), 1, 0).d;
  }
  x = bn(conv(x, P(sd, 'stem1.0.weight'), P(sd, 'stem1.0.bias'), 4, 0), sd, 'stem1.1');
  x = bn(conv(x, P(sd, 'stem2.0.weight'), P(sd, 'stem2.0.bias'), 1, 0), sd, 'stem2.1');
  x = bn(conv(relu(x), P(sd, 'stem2.2.weight'), undefined, 1, 3, true), sd, 'stem2.2.bn');
  for (let i = 0; i < 3; i++) {
    x = bn(conv(x, P(sd, `stages.${i}.conv1.0.weight`), P(sd, `stages.${i}.conv1.0.bias`), 1, 0), sd, `stages.${i}.conv1.1`);
    x = bn(conv(x, P(sd, `stages.${i}.conv2.0.weight`), P(sd, `stages.${i}.conv2.0.bias`), 1, 0), sd, `stages.${i}.conv2.1`);
    x = bn(conv(relu(maxpool2(x)), P(sd, `stages.${i}.act.weight`), undefined, 1, 3, true), sd, `stages.${i}.act.bn`);
  }
  x = bn(conv(gap(x), P(sd, 'cls1.2.weight'), P(sd, 'cls1.2.bias'), 1, 0), sd, 'cls1.3');
  return conv(x, P(sd, 'cls2.0.weight'), P(sd, 'cls2.0.bias'), 1, 0).d;
}

describe('against an independent NCHW reference forward, in a regime where every layer matters', () => {
  /** The fixture weights with every non-depthwise conv x10, and the input x1e4, so the logits depend on the input. */
  const amplified = (file: string) => {
    const sd = loadTorchStateDict(fixture(file), 'model');
    for (const t of sd.values()) if (t.shape.length === 4 && t.shape[1] !== 1) t.data = t.data.map((v) => v * 10);
    return sd;
  };
  const xs = input.data.map((v) => v * 1e4);
  const x: T4 = { n: 2, c: 3, h: 64, w: 64, d: Float64Array.from(xs) };

  for (const [file, form] of [
    ['checkpoint.pth', 'train'],
    ['deploy.pth', 'deploy'],
  ] as const) {
    it(`${file} (${form} form)`, () => {
      const sd = amplified(file);
      const ref = referenceForward(sd, form, x);
      // the two inputs now give clearly different logits
      expect(relErr(ref.slice(0, 10), ref.slice(10))).toBeGreaterThan(0.05);
      const imp = importTorchStateDict(sd, 'vanillanet-5', options, { source: file });
      const m = new Model(imp.desc, options, imp.weights);
      m.setLambda(1);
      measured[`reference_${form}`] = relErr(predict(m, xs, input.shape), ref);
      expect(measured[`reference_${form}`]).toBeLessThanOrEqual(1e-5);
      if (form === 'train') {
        const d = m.toDeploy();
        measured.reference_trainMerged = relErr(predict(d, xs, input.shape), ref);
        expect(measured.reference_trainMerged).toBeLessThanOrEqual(1e-5);
        // and here even the stem's kernel matters: its spatial transpose is caught
        const k = imp.weights.get('stem1.0/kernel')!;
        imp.weights.set('stem1.0/kernel', tf.transpose(k, [1, 0, 2, 3]));
        k.dispose();
        expect(relErr(predict(m, xs, input.shape), ref)).toBeGreaterThan(1e-2);
        d.dispose();
      }
      m.dispose();
    });
  }
});

describe('mismatches: one error listing every problem', () => {
  const sd = loadTorchStateDict(fixture('checkpoint.pth'), 'model');
  const imp = (name: string, o: Record<string, unknown>, form?: 'train' | 'deploy') => () =>
    importTorchStateDict(sd, name, modelOptions(name, { inputSize: 64, numClasses: 10, width: 0.0625, ...o }), { source: 'checkpoint.pth', form });

  it('wrong --width: every mis-shaped tensor, and the width that fits', () => {
    expectUserError(
      imp('vanillanet-5', { width: 0.125 }),
      'checkpoint.pth does not fit vanillanet-5 (width 0.125, 10 classes, train form): wrong shape (69): ',
      'stem1.0.weight is [32,3,4,4], expected [64,3,4,4]',
      'and 57 more',
      'hint: the channel counts fit --width 0.0625',
    );
  });
  it('--model vanillanet-6: the missing stage, and the model that fits', () => {
    expectUserError(
      imp('vanillanet-6', {}),
      'does not fit vanillanet-6 (width 0.0625, 10 classes, train form): missing (17): stages.3.conv1.0.weight,',
      'the checkpoint has 3 stages, vanillanet-6 has 4 (--model vanillanet-5)',
    );
  });
  it('--form deploy on a training checkpoint: missing and unexpected, and the form', () => {
    expectUserError(imp('vanillanet-5', {}, 'deploy'), 'missing (15): stem.0.weight', 'unexpected (73): stem1.0.weight', '--form train');
  });
  it('wrong --classes and --act-num are named', () => {
    expectUserError(imp('vanillanet-5', { numClasses: 1000 }), 'cls2.0.weight is [10,10,1,1], expected [1000,1000,1,1]', '--classes 10');
    expectUserError(imp('vanillanet-5', { actNum: 2 }), 'stem2.2.weight is [32,1,7,7], expected [32,1,5,5]', '--act-num 3');
  });
});

/** A torch.save zip of `state` (bare, or wrapped as {key: state}), every tensor with its own storage. */
function writeCheckpoint(file: string, state: Map<string, LoadedTensor>, wrapKey?: string): string {
  const tensors: FakeTensor[] = [];
  const storages: Record<string, Uint8Array> = {};
  [...state].forEach(([name, t], i) => {
    tensors.push({ name, storageKey: String(i), numel: t.data.length, shape: t.shape });
    storages[String(i)] = f32Bytes(Array.from(t.data));
  });
  const p = new PickleBuilder().proto();
  if (wrapKey !== undefined) p.emptyDict().str(wrapKey);
  pushStateDict(p, tensors);
  if (wrapKey !== undefined) p.setitem();
  writeFileSync(file, buildTorchZip(p.stop().bytes(), storages));
  return file;
}

async function predictDir(dir: string): Promise<Float32Array> {
  const model = await loadLayersModelFolder(dir);
  const y = tf.tidy(() => (model.predict(nhwc(input.data, input.shape)) as tf.Tensor).dataSync() as Float32Array);
  model.dispose();
  return y;
}

describe('import: key selection, files written, other containers', () => {
  it('imports both fixtures to LayersModel directories that reproduce the PyTorch outputs', async () => {
    for (const [file, expected, form] of [
      ['checkpoint.pth', expectedTrain, 'train'],
      ['deploy.pth', expectedDeploy, 'deploy'],
    ] as const) {
      const out = join(tmp.dir, `imp-${form}`);
      const r = await importCheckpoint({ file: fixture(file), model: 'vanillanet-5', options, out });
      expect(r).toMatchObject({ key: 'model', keyDefaulted: true, form, formDetected: true, mergedAtLambda: form === 'train' ? 1 : null });
      const meta = JSON.parse(readFileSync(join(out, 'vanillabench.json'), 'utf8'));
      expect(meta).toMatchObject({
        model: 'vanillanet-5',
        form: 'deploy',
        options: { width: 0.0625, numClasses: 10, inputSize: 64 },
        imported: { key: 'model', form },
      });
      measured[`layersModel_${form}`] = relErr(await predictDir(out), expected.data);
      expect(measured[`layersModel_${form}`]).toBeLessThanOrEqual(TOL);
    }
  });

  it('defaults to model, takes --key model_ema, and lists the keys when neither default is there', () => {
    const a = loadCheckpoint(fixture('checkpoint.pth'));
    expect([a.key, a.keyDefaulted, a.keys]).toEqual(['model', true, ['model', 'model_ema']]);
    expect(loadCheckpoint(fixture('checkpoint.pth'), 'model_ema').key).toBe('model_ema');
    const deploy = loadTorchStateDict(fixture('deploy.pth'), 'model');
    const file = writeCheckpoint(join(tmp.dir, 'sd.pth'), deploy, 'state_dict');
    expectUserError(() => loadCheckpoint(file), "without 'model' or 'model_ema'", '--key', "'state_dict'");
    expect(loadCheckpoint(file, 'state_dict').state.size).toBe(18);
    expectUserError(() => loadCheckpoint(fixture('checkpoint.pth'), 'ema'), "no key 'ema'", "'model'", "'model_ema'");
  });

  it('a bare state dict saved from DataParallel (module. prefixes), and a safetensors file', async () => {
    const deploy = loadTorchStateDict(fixture('deploy.pth'), 'model');
    const bare = writeCheckpoint(join(tmp.dir, 'bare.pth'), new Map([...deploy].map(([n, t]) => [`module.${n}`, t])));
    const r = await importCheckpoint({ file: bare, model: 'vanillanet-5', options, out: join(tmp.dir, 'bare') });
    expect([r.key, r.strippedPrefix, r.form]).toEqual([null, 'module.', 'deploy']);
    expect(relErr(await predictDir(join(tmp.dir, 'bare')), expectedDeploy.data)).toBeLessThanOrEqual(TOL);

    const st = join(tmp.dir, 'train.safetensors');
    saveSafetensors(st, loadTorchStateDict(fixture('checkpoint.pth'), 'model'));
    await importCheckpoint({ file: st, model: 'vanillanet-5', options, out: join(tmp.dir, 'st') });
    measured.safetensors = relErr(await predictDir(join(tmp.dir, 'st')), expectedTrain.data);
    expect(measured.safetensors).toBeLessThanOrEqual(TOL);
    expectUserError(() => loadCheckpoint(st, 'model'), 'safetensors');
  });

  it('topK: softmax probabilities, best first', () => {
    const t = topK([0, 2, 1, 2, -1, 0.5], 5);
    expect(t.map((e) => e.index)).toEqual([1, 3, 2, 5, 0]);
    expect(t[0].prob).toBeCloseTo(Math.exp(2) / [0, 2, 1, 2, -1, 0.5].reduce((a, v) => a + Math.exp(v), 0), 6);
  });
});

describe('CLI end to end', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/src/commands/import.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT });
  });

  it('import checkpoint.pth, then predict --json on input.npy and on an image', async () => {
    const out = join(tmp.dir, 'cli');
    const r = cli('import', fixture('checkpoint.pth'), ...FLAGS, '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      model: 'vanillanet-5',
      key: 'model',
      keyDefaulted: true,
      otherKeys: ['model_ema'],
      form: 'train',
      tensors: 89,
      ignored: 13,
    });

    const p = cli('predict', out, '--input-npy', fixture('input.npy'), '--json');
    expect(p.status, p.stderr).toBe(0);
    const doc = JSON.parse(p.stdout) as { model: string; backend: string; outputs: number[][] };
    expect(doc.model).toBe('vanillanet-5');
    expect(doc.outputs).toHaveLength(2);
    measured.cli = relErr(doc.outputs.flat(), expectedTrain.data);
    expect(measured.cli).toBeLessThanOrEqual(TOL);

    const png = join(tmp.dir, 'img.png');
    const px = Buffer.alloc(80 * 96 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 256;
    await sharp(px, { raw: { width: 96, height: 80, channels: 3 } })
      .png()
      .toFile(png);
    const q = cli('predict', out, '--image', png, '--json');
    expect(q.status, q.stderr).toBe(0);
    const top = (JSON.parse(q.stdout) as { top5: { index: number; prob: number }[] }).top5;
    expect(top).toHaveLength(5);
    expect(new Set(top.map((t) => t.index)).size).toBe(5);
    for (let i = 1; i < 5; i++) expect(top[i].prob).toBeLessThanOrEqual(top[i - 1].prob);
  });

  it('a checkpoint that does not fit: exit 1, one line naming the problems', () => {
    const r = cli('import', fixture('deploy.pth'), '--model', 'vanillanet-5', '--width', '0.0625', '--out', join(tmp.dir, 'bad'));
    expect(r.status).toBe(1);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('backend'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^vanillabench: .*deploy\.pth does not fit vanillanet-5 \(width 0\.0625, 1000 classes, deploy form\): wrong shape \(2\): cls\.2\.weight is \[10,256,1,1\], expected \[1000,256,1,1\]/,
    );
    expect(lines[0]).toContain('--classes 10');
    expect(existsSync(join(tmp.dir, 'bad', 'model.json'))).toBe(false);
    const n = cli('predict', join(tmp.dir, 'cli'), '--input-npy', fixture('expected_train.npy'));
    expect(n.status).toBe(1);
    expect(n.stderr).toContain('the model takes NCHW batches [N, 3, 64, 64]');
  });
});
