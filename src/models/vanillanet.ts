/**
 * VanillaNet-5 … 13, 13-1.5x and 13-1.5x-adapool (Chen et al. 2023), per src/reference/vanillanet-architecture.md.
 * Node ids follow the authors' PyTorch parameter names (stem1.0, stages.3.conv2.1, cls2.0; deploy: stem.0,
 * stages.3.conv, cls.2) so checkpoints map by name.
 */
import { GraphBuilder, type Form, type ModelDescription } from './graph.js';
import { activation, convLayer, denseLayer } from './blocks.js';
import { scaled, type ModelOptions } from './options.js';
import specs from './vanillanet.json' with { type: 'json' };

const BN_EPS = 1e-6;

export interface VanillaNetSpec {
  /** dims before the x4 (or x6) multiplier; dims[0] is the stem width */
  dims: number[];
  strides: number[];
  multiplier: 4 | 6;
  /** per stage: adaptive max-pool output size instead of MaxPool(stride) (the adapool variant), 0 = none */
  adaPool?: number[];
}

/** The variants' dims and strides, one table read here and by the PyTorch reference (scripts/torch_models.py). */
export const VANILLANET_SPECS: Record<string, VanillaNetSpec> = specs.models as Record<string, VanillaNetSpec>;

/**
 * Shortcuts (Table 3): 'before-act' adds the block input to the pooled conv output before the series activation,
 * 'after-act' adds it after. Where the shape changes, the shortcut is pooled like the main branch and projected by
 * a 1x1 conv + BN (merged into one biased conv in deploy form); otherwise it is the identity.
 */
export function vanillanet(name: string, spec: VanillaNetSpec, o: ModelOptions, form: Form): ModelDescription {
  const dims = spec.dims.map((d) => scaled(d * spec.multiplier, o.width));
  const deep = o.deepTraining;
  const b = new GraphBuilder([o.inputSize, o.inputSize, o.inputChannels]);
  const ada = spec.adaPool !== undefined;

  // Stem: patchify 4x4/4 (adapool variant: 4x4/3 padding 1); the small-image stem patchifies 2x2/2.
  const stemK = o.stem === 'small' ? 2 : 4;
  const stemStride = o.stem === 'small' ? 2 : ada ? 3 : 4;
  const stemPad = ada && o.stem !== 'small' ? 1 : 0;
  let x = convLayer(
    b,
    'input',
    form,
    deep,
    { filters: dims[0], kernel: stemK, stride: stemStride, pad: stemPad },
    { deploy: 'stem.0', conv1: 'stem1.0', bn1: 'stem1.1', lambda: 'stem.lambda', conv2: 'stem2.0', bn2: 'stem2.1' },
    BN_EPS,
  );
  x = activation(b, x, form, o, form === 'deploy' || !deep ? 'stem.1' : 'stem2.2', 'stem.1');

  spec.strides.forEach((stride, i) => {
    const p = `stages.${i}`;
    const input = x;
    const [dim, dimOut] = [dims[i], dims[i + 1]];
    const ids = deep
      ? { deploy: `${p}.conv`, conv1: `${p}.conv1.0`, bn1: `${p}.conv1.1`, lambda: `${p}.lambda`, conv2: `${p}.conv2.0`, bn2: `${p}.conv2.1` }
      : { deploy: `${p}.conv`, conv1: `${p}.conv.0`, bn1: `${p}.conv.1` };
    // Deep training: conv1 keeps the width (dim -> dim), conv2 changes it; merged they are one dim -> dimOut conv.
    let y: string;
    if (form === 'train' && deep) {
      y = b.fusing(ids.deploy, () => {
        let t = b.conv(ids.conv1, input, { filters: dim, kernel: 1 });
        t = b.batchnorm(ids.bn1, t, BN_EPS);
        t = b.act(ids.lambda!, t, 'lambdaAct');
        t = b.conv(ids.conv2!, t, { filters: dimOut, kernel: 1 });
        return b.batchnorm(ids.bn2!, t, BN_EPS);
      });
    } else {
      y = convLayer(b, input, form, false, { filters: dimOut, kernel: 1 }, ids, BN_EPS);
    }
    const adaSize = spec.adaPool?.[i] ?? 0;
    const pool = (id: string, t: string) => (adaSize > 0 ? b.adaptiveMaxPool(id, t, adaSize) : stride > 1 ? b.pool(id, t, 'maxpool', stride, stride) : t);
    y = pool(`${p}.pool`, y);

    const shortcut = (): string => {
      if (dim === dimOut && stride === 1 && adaSize === 0) return input;
      const s = pool(`${p}.shortcut.pool`, input);
      return convLayer(
        b,
        s,
        form,
        false,
        { filters: dimOut, kernel: 1, role: 'projection' },
        { deploy: `${p}.shortcut`, conv1: `${p}.shortcut.0`, bn1: `${p}.shortcut.1` },
        BN_EPS,
      );
    };
    if (o.shortcut === 'before-act') y = b.add(`${p}.add`, y, shortcut());
    y = activation(b, y, form, o, `${p}.act`);
    if (o.shortcut === 'after-act') y = b.add(`${p}.add`, y, shortcut());
    x = y;
  });

  // Classifier: global average pool -> dropout -> 1x1 conv (a dense layer on the pooled vector).
  const gap = b.globalAvgPool(form === 'deploy' ? 'cls.0' : 'cls1.0', x);
  const drop = b.dropout(form === 'deploy' ? 'cls.1' : 'cls1.1', gap, o.dropRate);
  const out = denseLayer(
    b,
    drop,
    form,
    deep,
    o.numClasses,
    { deploy: 'cls.2', dense1: 'cls1.2', bn1: 'cls1.3', lambda: 'cls.lambda', dense2: 'cls2.0' },
    BN_EPS,
  );
  return b.finish({ name, family: 'vanillanet', form, numClasses: o.numClasses }, out);
}
