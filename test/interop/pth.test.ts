import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TorchCheckpoint, listTorchCheckpointKeys, listTorchStateDict, loadTorchStateDict } from '../../src/interop/pth.js';
import { OpaqueObject, PickleDict } from '../../src/interop/pickle.js';
import { UserError } from '../../src/util/errors.js';
import { CHECKPOINT_MODEL, DEPLOY_MODEL } from './fixtureTensors.js';
import { PickleBuilder, buildTorchZip, buildZip, f32Bytes, fixture, pushStateDict, tempDir, type FakeTensor } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;
const writeTemp = (bytes: Uint8Array, ext = '.pth'): string => {
  const file = join(tmp.dir, `t${counter++}${ext}`);
  writeFileSync(file, bytes);
  return file;
};

/** Expects fn to throw a UserError whose message contains every fragment. */
function expectUserError(fn: () => unknown, ...fragments: string[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(UserError);
  const message = (caught as UserError).message;
  for (const f of fragments) expect(message).toContain(f);
  return message;
}

/** A checkpoint {'model': state_dict} or a bare state dict, with float32 storages. */
function fakeCheckpoint(
  tensors: FakeTensor[],
  storages: Record<string, Uint8Array>,
  opts: { wrapKey?: string; zip64?: boolean; deflate?: boolean } = {},
): string {
  const p = new PickleBuilder().proto();
  if (opts.wrapKey !== undefined) p.emptyDict().str(opts.wrapKey);
  pushStateDict(p, tensors);
  if (opts.wrapKey !== undefined) p.setitem();
  return writeTemp(buildTorchZip(p.stop().bytes(), storages, opts));
}

describe('fixture checkpoint.pth (training form)', () => {
  const file = fixture('checkpoint.pth');

  it('has the top-level keys model and model_ema', () => {
    expect(listTorchCheckpointKeys(file)).toEqual(['model', 'model_ema']);
  });

  it('lists every tensor of model with its shape and dtype, in file order', () => {
    const list = listTorchStateDict(file, 'model');
    expect(list.map((t) => [t.name, t.shape, t.dtype])).toEqual(CHECKPOINT_MODEL);
  });

  it('loads model with the exact shapes and data', () => {
    const sd = loadTorchStateDict(file, 'model');
    expect(sd.size).toBe(89);
    expect([...sd.keys()]).toEqual(CHECKPOINT_MODEL.map(([n]) => n));
    for (const [name, shape, dtype] of CHECKPOINT_MODEL) {
      const t = sd.get(name)!;
      expect(t.shape, name).toEqual(shape);
      expect(t.dtype, name).toBe(dtype);
      expect(t.data.length, name).toBe(shape.reduce((a, b) => a * b, 1));
      expect(t.data.every(Number.isFinite), name).toBe(true);
    }
    // Stem conv weight for width 1/16: 32 output channels, 3 inputs, 4x4 patches.
    expect(sd.get('stem1.0.weight')!.shape).toEqual([32, 3, 4, 4]);
    expect(sd.get('cls2.0.weight')!.shape).toEqual([10, 10, 1, 1]);
    // Values checked against the raw storages read with Python's struct module.
    expect(Array.from(sd.get('stem1.0.weight')!.data.slice(0, 3))).toEqual([-0.013728601858019829, -0.004546200390905142, 0.03663758561015129]);
    expect(sd.get('cls2.0.bias')!.data[9]).toBe(0.08110028505325317);
    const cls = sd.get('cls2.0.weight')!.data.reduce((a, b) => a + b, 0);
    expect(cls).toBeCloseTo(0.29945584943925496, 5);
    // BatchNorm's int64 counter is converted to float32.
    const nbt = sd.get('stem1.1.num_batches_tracked')!;
    expect(nbt).toEqual({ shape: [], data: new Float32Array([0]), dtype: 'int64' });
    // BatchNorm statistics are plausible.
    expect(sd.get('stem1.1.running_var')!.data.every((v) => v > 0)).toBe(true);
  });

  it('model_ema has the same names and shapes as model (here even the same data)', () => {
    const model = loadTorchStateDict(file, 'model');
    const ema = loadTorchStateDict(file, 'model_ema');
    expect([...ema.keys()]).toEqual([...model.keys()]);
    for (const [name, t] of ema) {
      expect(t.shape).toEqual(model.get(name)!.shape);
      expect(Buffer.from(t.data.buffer).equals(Buffer.from(model.get(name)!.data.buffer))).toBe(true);
    }
  });

  it('without a key, explains that a key is needed and lists the available ones', () => {
    expectUserError(() => loadTorchStateDict(file), file, 'not a bare state dict', "'model' (state dict, 89 tensors)", "'model_ema' (state dict, 89 tensors)");
  });

  it('a missing key gives an error listing the available keys', () => {
    expectUserError(() => loadTorchStateDict(file, 'state_dict'), file, "no key 'state_dict'", "'model'", "'model_ema'");
  });

  it('exposes the raw object tree, including the OrderedDict _metadata attribute', () => {
    const ckpt = TorchCheckpoint.open(file);
    try {
      const root = ckpt.root as PickleDict;
      expect(root).toBeInstanceOf(PickleDict);
      const model = root.get('model') as PickleDict;
      expect(model.typeName).toBe('collections.OrderedDict');
      // torch pickles model and model_ema as one shared object in this fixture.
      expect(root.get('model_ema')).toBe(model);
      const meta = (model.attributes as PickleDict).get('_metadata') as PickleDict;
      expect(meta.get('stem1.1')).toBeInstanceOf(PickleDict);
    } finally {
      ckpt.close();
    }
  });
});

describe('fixture deploy.pth (deploy form)', () => {
  const file = fixture('deploy.pth');

  it("is wrapped as {'model': state_dict}", () => {
    expect(listTorchCheckpointKeys(file)).toEqual(['model']);
    expectUserError(() => loadTorchStateDict(file), file, "'model' (state dict, 18 tensors)");
  });

  it('loads model with the exact names and shapes', () => {
    const sd = loadTorchStateDict(file, 'model');
    expect([...sd].map(([n, t]) => [n, t.shape, t.dtype])).toEqual(DEPLOY_MODEL);
    expect(sd.get('stem.0.weight')!.shape).toEqual([32, 3, 4, 4]);
    // Stored with stride [256, 1, 256, 256] (a 1x1 conv): still read in C order.
    const w = sd.get('cls.2.weight')!.data;
    expect(w[0]).toBe(-4.792847903445363e-5);
    expect(w[1]).toBe(-0.0001822346675908193);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(0.014658881734703755, 5);
  });
});

describe('synthetic checkpoints', () => {
  it('materialises non-contiguous tensors in C order', () => {
    // storage 0..5 viewed as the transpose of a 2x3 matrix: shape [3,2], stride [1,3].
    const file = fakeCheckpoint(
      [
        { name: 't', storageKey: '0', numel: 6, shape: [3, 2], stride: [1, 3] },
        { name: 'sliced', storageKey: '1', numel: 12, offset: 1, shape: [2, 2], stride: [6, 2] },
        { name: 'expanded', storageKey: '2', numel: 3, shape: [2, 3], stride: [0, 1] },
      ],
      {
        '0': f32Bytes([0, 1, 2, 3, 4, 5]),
        '1': f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        '2': f32Bytes([7, 8, 9]),
      },
    );
    const sd = loadTorchStateDict(file);
    expect(Array.from(sd.get('t')!.data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(sd.get('sliced')!.data)).toEqual([1, 3, 7, 9]);
    expect(Array.from(sd.get('expanded')!.data)).toEqual([7, 8, 9, 7, 8, 9]);
  });

  it('handles tensors sharing one storage, as independent copies', () => {
    const file = fakeCheckpoint(
      [
        { name: 'a', storageKey: '0', numel: 6, shape: [2], offset: 0 },
        { name: 'b', storageKey: '0', numel: 6, shape: [2, 2], offset: 2 },
      ],
      { '0': f32Bytes([1, 2, 3, 4, 5, 6]) },
      { wrapKey: 'state_dict' },
    );
    const sd = loadTorchStateDict(file, 'state_dict');
    expect(Array.from(sd.get('a')!.data)).toEqual([1, 2]);
    expect(Array.from(sd.get('b')!.data)).toEqual([3, 4, 5, 6]);
    sd.get('a')!.data[0] = 100;
    expect(sd.get('b')!.data[0]).toBe(3);
  });

  it('reads zip64 directories, deflated entries and _rebuild_parameter', () => {
    const file = fakeCheckpoint(
      [{ name: 'w', storageKey: '0', numel: 3, shape: [3], parameter: true }],
      { '0': f32Bytes([1.5, -2, 3]) },
      { zip64: true, deflate: true },
    );
    expect(Array.from(loadTorchStateDict(file).get('w')!.data)).toEqual([1.5, -2, 3]);
  });

  it('converts float16, bfloat16 and float64 storages to float32', () => {
    const half = Buffer.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const bf16 = Buffer.from([0xc0, 0x3f, 0x80, 0xbf]); // 1.5, -1
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(0.1, 0);
    f64.writeDoubleLE(-3, 8);
    const file = fakeCheckpoint(
      [
        { name: 'h', storageKey: '0', storageClass: 'HalfStorage', numel: 2, shape: [2] },
        { name: 'b', storageKey: '1', storageClass: 'BFloat16Storage', numel: 2, shape: [2] },
        { name: 'd', storageKey: '2', storageClass: 'DoubleStorage', numel: 2, shape: [2] },
      ],
      { '0': half, '1': bf16, '2': f64 },
    );
    const sd = loadTorchStateDict(file);
    expect(sd.get('h')).toEqual({ shape: [2], data: new Float32Array([1, -2]), dtype: 'float16' });
    expect(sd.get('b')).toEqual({ shape: [2], data: new Float32Array([1.5, -1]), dtype: 'bfloat16' });
    expect(sd.get('d')).toEqual({ shape: [2], data: new Float32Array([0.1, -3]), dtype: 'float64' });
  });

  it('rejects unsupported dtypes naming the dtype and the tensor', () => {
    const file = fakeCheckpoint([{ name: 'z', storageKey: '0', storageClass: 'ComplexFloatStorage', numel: 1, shape: [1] }], { '0': Buffer.alloc(8) });
    expectUserError(() => loadTorchStateDict(file), file, "unsupported dtype complex64 in tensor 'z'");
  });

  it('rejects int64 values that float32 cannot hold exactly', () => {
    const big = Buffer.alloc(8);
    big.writeBigInt64LE(2n ** 40n);
    const file = fakeCheckpoint([{ name: 'n', storageKey: '0', storageClass: 'LongStorage', numel: 1, shape: [] }], {
      '0': big,
    });
    expectUserError(() => loadTorchStateDict(file), file, "tensor 'n'", 'int64 value 1099511627776');
  });

  it('rejects views that reach past their storage', () => {
    const file = fakeCheckpoint([{ name: 'v', storageKey: '0', numel: 4, shape: [2, 3] }], {
      '0': f32Bytes([1, 2, 3, 4]),
    });
    expectUserError(() => loadTorchStateDict(file), file, "tensor 'v'", 'past the end of its storage');
  });

  it('reports a storage missing from the archive', () => {
    const file = fakeCheckpoint([{ name: 'v', storageKey: '7', numel: 1, shape: [1] }], {});
    expectUserError(() => loadTorchStateDict(file), file, "storage 'archive/data/7'", "tensor 'v'", 'missing');
  });

  it('a bare state dict loads without a key; a key is then refused clearly', () => {
    const file = fakeCheckpoint([{ name: 'x', storageKey: '0', numel: 1, shape: [1] }], { '0': f32Bytes([4]) });
    expect(Array.from(loadTorchStateDict(file).get('x')!.data)).toEqual([4]);
    expectUserError(() => loadTorchStateDict(file, 'model'), file, "no key 'model'", 'bare state dict of 1 tensors');
  });

  it('tolerates argparse.Namespace args next to the weights', () => {
    // {'args': Namespace(lr=0.1), 'epoch': 3, 'model': {...}} as a training script saves it.
    const p = new PickleBuilder().proto().emptyDict();
    p.str('args').global('argparse', 'Namespace').emptyTuple().newobj();
    p.emptyDict().str('lr').raw(0x47, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a).setitem().build().setitem();
    p.str('epoch').int(3).setitem();
    p.str('model');
    pushStateDict(p, [{ name: 'x', storageKey: '0', numel: 1, shape: [1] }]);
    p.setitem().stop();
    const file = writeTemp(buildTorchZip(p.bytes(), { '0': f32Bytes([2]) }));
    expect(Array.from(loadTorchStateDict(file, 'model').get('x')!.data)).toEqual([2]);
    expectUserError(() => loadTorchStateDict(file), "'args' (argparse.Namespace object)", "'epoch' (int)", "pass a key such as 'model'");
    expectUserError(() => loadTorchStateDict(file, 'epoch'), "'epoch' is not a state dict", '(found int)');
    const ckpt = TorchCheckpoint.open(file);
    try {
      const args = (ckpt.root as PickleDict).get('args') as OpaqueObject;
      expect(args).toBeInstanceOf(OpaqueObject);
      expect((args.state as PickleDict).get('lr')).toBe(0.1);
    } finally {
      ckpt.close();
    }
  });

  it('refuses a forbidden GLOBAL inside a checkpoint, naming file and global', () => {
    const p = new PickleBuilder().proto().global('os', 'system').mark().str('echo pwned').tuple().reduce().stop();
    const file = writeTemp(buildTorchZip(p.bytes(), {}));
    expectUserError(() => loadTorchStateDict(file), file, 'unsupported pickle construct: GLOBAL os.system');
  });

  it('refuses a pickled nn.Module', () => {
    const p = new PickleBuilder().proto().global('torch.nn.modules.conv', 'Conv2d').emptyTuple().newobj().stop();
    const file = writeTemp(buildTorchZip(p.bytes(), {}));
    expectUserError(() => loadTorchStateDict(file), 'GLOBAL torch.nn.modules.conv.Conv2d');
  });

  it('refuses big-endian checkpoints', () => {
    const p = new PickleBuilder().proto().emptyDict().stop();
    const file = writeTemp(buildTorchZip(p.bytes(), {}, { byteorder: 'big' }));
    expectUserError(() => loadTorchStateDict(file), file, "'big' byte order");
  });
});

describe('bad files', () => {
  it('a truncated .pth is one clear error naming the file', () => {
    const whole = readFileSync(fixture('checkpoint.pth'));
    for (const keep of [whole.length - 10, Math.floor(whole.length / 2), 100]) {
      const file = writeTemp(whole.subarray(0, keep));
      expectUserError(() => loadTorchStateDict(file, 'model'), file, 'truncated');
    }
  });

  it('random bytes are not a checkpoint', () => {
    const bytes = Buffer.alloc(4096);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    bytes[0] = 0x42; // make sure it does not start like a pickle
    const file = writeTemp(bytes);
    expectUserError(() => loadTorchStateDict(file), 'cannot read PyTorch checkpoint', file, 'not a zip archive');
  });

  it('an empty file and a missing file give clear errors', () => {
    const empty = writeTemp(Buffer.alloc(0));
    expectUserError(() => loadTorchStateDict(empty), empty, 'not a zip archive');
    const missing = join(tmp.dir, 'nope.pth');
    expectUserError(() => loadTorchStateDict(missing), `cannot open ${missing}`);
  });

  it('the legacy (torch < 1.6) format is detected', () => {
    const legacy = Buffer.concat([Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]), Buffer.alloc(64)]);
    const file = writeTemp(legacy);
    expectUserError(() => loadTorchStateDict(file), file, 'legacy torch.save format', 're-save with torch>=1.6');
  });

  it('a zip without data.pkl is not a checkpoint', () => {
    const file = writeTemp(buildZip([{ name: 'a/readme.txt', data: Buffer.from('hi') }]));
    expectUserError(() => loadTorchStateDict(file), file, 'no data.pkl');
    const ts = writeTemp(
      buildZip([
        { name: 'm/code/__torch__.py', data: Buffer.from('') },
        { name: 'm/constants.pkl', data: Buffer.from('') },
      ]),
    );
    expectUserError(() => loadTorchStateDict(ts), 'TorchScript archive');
  });

  it('a corrupted storage fails the CRC check', () => {
    const file = fakeCheckpoint([{ name: 'x', storageKey: '0', numel: 4, shape: [4] }], { '0': f32Bytes([1, 2, 3, 4]) });
    const bytes = readFileSync(file);
    const at = bytes.indexOf(f32Bytes([1, 2, 3, 4]));
    bytes[at + 5] ^= 0xff;
    const bad = writeTemp(bytes);
    expectUserError(() => loadTorchStateDict(bad), bad, 'CRC-32 mismatch', 'archive/data/0');
  });
});
