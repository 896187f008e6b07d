/**
 * ONNX export: the wire format (field numbers of onnx.proto), and every zoo model's deploy form run in ONNX Runtime
 * against our tfjs forward pass (relative error max|onnx - tfjs| / max|tfjs| <= 1e-4), on small widths and inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { MODEL_NAMES, modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { saveLayersModel, toLayersModel } from '../../src/nn/export.js';
import { loadModelFolder } from '../../src/nn/modelFolder.js';
import { disposeWeights, randomizeForCheck } from '../../src/nn/weights.js';
import { decodeOnnxModel, encodeOnnxModel, floatTensor, floatValueInfo, int64Tensor, ONNX_IR_VERSION, ONNX_OPSET } from '../../src/interop/onnx.js';
import { exportOnnx } from '../../src/interop/onnxExport.js';
import { verifyOnnx } from '../../src/interop/onnxVerify.js';
import { UserError } from '../../src/util/errors.js';
import { fixture, tempDir } from './helpers.js';
import { importCheckpoint } from '../../src/commands/import.js';
import { readNpy } from '../../src/interop/index.js';
import { createOrtSession, loadOrt, maxRelError, runOrt } from '../../src/interop/ort.js';

beforeAll(async () => {
  await selectBackend('wasm', { log: () => {} });
});

/** Top-level (field number, wire type) pairs of a protobuf message, read by hand (no schema). */
function topLevelFields(buf: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const [field, wire] = [Math.floor(tag / 8), tag & 7];
    out.push([field, wire]);
    if (wire === 0) varint();
    else if (wire === 2) {
      const len = varint(); // read before adding: `i += varint()` would add to the old i
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

describe('ONNX schema', () => {
  const tiny = () => ({
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'vanillabench',
    producer_version: 'test',
    graph: {
      name: 'g',
      node: [{ name: 'r', op_type: 'Relu', input: ['input'], output: ['logits'], attribute: [] }],
      initializer: [floatTensor('w', [2], new Float32Array([1.5, -2])), int64Tensor('i', [2], [3, 70000])],
      input: [floatValueInfo('input', ['batch', 2])],
      output: [floatValueInfo('logits', ['batch', 2])],
    },
  });

  it('writes onnx.proto field numbers (ModelProto: ir_version 1, producer 2/3, graph 7, opset_import 8)', () => {
    const bytes = encodeOnnxModel(tiny());
    const fields = topLevelFields(bytes);
    expect(fields).toContainEqual([1, 0]);
    expect(fields).toContainEqual([2, 2]);
    expect(fields).toContainEqual([3, 2]);
    expect(fields).toContainEqual([7, 2]);
    expect(fields).toContainEqual([8, 2]);
    expect(bytes[0]).toBe(0x08); // field 1, varint
    expect(bytes[1]).toBe(ONNX_IR_VERSION);
  });

  it('round-trips through the decoder, raw data little-endian', () => {
    const m = decodeOnnxModel(encodeOnnxModel(tiny()));
    expect(m.ir_version).toBe(7);
    expect(m.opset_import[0].version).toBe(13);
    expect(m.graph.node[0]).toMatchObject({ op_type: 'Relu', input: ['input'], output: ['logits'] });
    const [w, i] = m.graph.initializer;
    expect(w).toMatchObject({ name: 'w', dims: [2], data_type: 1 });
    expect(Array.from(new Float32Array(new Uint8Array(w.raw_data).buffer))).toEqual([1.5, -2]);
    expect(Array.from(new BigInt64Array(new Uint8Array(i.raw_data).buffer), Number)).toEqual([3, 70000]);
    expect(m.graph.input[0].type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 2 }]);
  });

  it('relative error is max|a - b| / max|b|', () => {
    expect(maxRelError([1, 2.5], [1, 2])).toBeCloseTo(0.25);
    expect(maxRelError([0, 0], [0, 0])).toBe(0);
  });
});

/** Small settings that still exercise each model's special layers (adapool needs stem output > 38 to pool down). */
const CASES: { name: string; input: number; extra?: Record<string, unknown>; label?: string }[] = [
  ...MODEL_NAMES.map((name) => ({ name, input: name.includes('adapool') ? 128 : name === 'alexnet' ? 128 : 32 })),
  { name: 'vanillanet-6', input: 32, extra: { shortcut: 'before-act' }, label: 'shortcut before-act' },
  { name: 'vanillanet-6', input: 32, extra: { shortcut: 'after-act', actNum: 1 }, label: 'shortcut after-act, act-num 1' },
  { name: 'vanillanet-5', input: 32, extra: { stem: 'small', seriesAct: false }, label: 'small stem, ReLU' },
  { name: 'alexnet', input: 32, extra: { stem: 'small', deepTraining: true, seriesAct: true }, label: 'small stem, both tricks' },
  { name: 'resnet-18', input: 32, extra: { stem: 'small', seriesAct: true, shortcut: 'after-act' }, label: 'small stem, series act, after-act' },
];

describe('every zoo model: deploy form in ONNX Runtime = tfjs', () => {
  for (const c of CASES) {
    it(`${c.name} at ${c.input} px, width 1/16${c.label ? `, ${c.label}` : ''}`, async () => {
      const before = tf.memory().numTensors;
      const options = modelOptions(c.name, { width: 1 / 16, inputSize: c.input, numClasses: 10, ...c.extra });
      const train = Model.create(c.name, options, 'train', 1);
      randomizeForCheck(train.desc, train.weights, 2);
      train.setLambda(1);
      const deploy = train.toDeploy();
      train.dispose();
      try {
        const exp = exportOnnx(deploy.desc, deploy.weights);
        expect(exp.opset).toBe(13);
        const v = await verifyOnnx(exp, deploy.desc, deploy.weights, { batch: 2 });
        expect(v.outputsCompared).toBe(20);
        expect(v.maxRelErr).toBeLessThanOrEqual(1e-4);
        if (c.name.includes('adapool')) expect(exp.ops).toMatchObject({ Gather: expect.any(Number), Max: expect.any(Number) });
        if (c.name === 'alexnet' && !c.extra) expect(exp.ops.Transpose).toBe(1);
      } finally {
        deploy.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    }, 60_000);
  }
});

describe('model directories', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('a saved directory rebuilds its description and weights, and exports the same function', async () => {
    const options = modelOptions('vanillanet-7', { width: 1 / 16, inputSize: 32, numClasses: 5 });
    const train = Model.create('vanillanet-7', options, 'train', 3);
    randomizeForCheck(train.desc, train.weights, 4);
    train.setLambda(1);
    const deploy = train.toDeploy();
    train.dispose();
    const dir = join(t.dir, 'v7');
    const layers = toLayersModel(deploy.desc, deploy.weights);
    await saveLayersModel(layers, dir, { model: 'vanillanet-7', options });
    layers.dispose();
    const d = await loadModelFolder(dir);
    try {
      expect(d.model).toBe('vanillanet-7');
      expect(d.options).toMatchObject({ width: 1 / 16, inputSize: 32, numClasses: 5 });
      const a = exportOnnx(d.desc, d.weights);
      const b = exportOnnx(deploy.desc, deploy.weights);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    } finally {
      disposeWeights(d.weights);
      deploy.dispose();
    }
  });

  it("the authors' checkpoint, imported then exported, gives the authors' outputs in ONNX Runtime", async () => {
    const out = join(t.dir, 'imported');
    const options = modelOptions('vanillanet-5', { width: 0.0625, numClasses: 10, inputSize: 64 });
    await importCheckpoint({ file: fixture('checkpoint.pth'), model: 'vanillanet-5', options, out });
    const d = await loadModelFolder(out);
    try {
      const exp = exportOnnx(d.desc, d.weights);
      const input = readNpy(fixture('input.npy'));
      const expected = readNpy(fixture('expected_deploy.npy'));
      const ort = await loadOrt();
      const session = await createOrtSession(ort, exp.bytes, { threads: 1 });
      const got = await runOrt(ort, session, input.data as Float32Array, input.shape);
      await session.release();
      expect(got.dims).toEqual([2, 10]);
      expect(maxRelError(got.data, expected.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    } finally {
      disposeWeights(d.weights);
    }
  });

  it('a directory that does not say which model it holds is one clear error', async () => {
    const bare = join(t.dir, 'bare');
    const layers = toLayersModel(
      ...(() => {
        const m = Model.create('vanillanet-5', modelOptions('vanillanet-5', { width: 1 / 16, inputSize: 32, numClasses: 5 }), 'deploy');
        return [m.desc, m.weights] as const;
      })(),
    );
    await saveLayersModel(layers, bare, {});
    layers.dispose();
    await expect(loadModelFolder(bare)).rejects.toThrow(/does not record which zoo model it holds/);
    await expect(loadModelFolder(join(t.dir, 'nothing'))).rejects.toBeInstanceOf(UserError);
  });

  it('a directory whose weights do not fit the recorded model names the layers', async () => {
    const dir = join(t.dir, 'v7');
    const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { userDefinedMetadata: Record<string, unknown> };
    mj.userDefinedMetadata = { model: 'vanillanet-8', options: {} };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(mj));
    await expect(loadModelFolder(dir)).rejects.toThrow(/does not hold the vanillanet-8 it records.*stages_/);
  });
});
