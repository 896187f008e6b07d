/**
 * ResNet-18/34 (basic blocks) and ResNet-50 (bottleneck, stride on the 3x3 conv as torchvision v1.5),
 * the paper's deep baselines, with the VanillaNet toggles applied:
 * - deepTraining: every conv that is directly followed by its activation (stem, basic conv1, bottleneck conv1 and
 *   conv2) is trained as conv -> BN -> lambda-act -> conv 1x1 -> BN and merged afterwards; convs that feed the
 *   residual add (last conv of a block, downsample projection) stay conv + BN;
 * - seriesAct: every ReLU, including the one after each residual add, becomes the series activation;
 * - shortcut: 'before-act' is the standard ResNet (add, then activation); 'after-act' adds after the activation;
 *   'none' removes the residual connections (a plain deep net).
 * The stem max-pool uses TensorFlow's 'same' alignment (no effect on counts). The small-image stem is a 3x3/1 conv
 * without max-pool (the CIFAR ResNet stem).
 */
import { GraphBuilder, type Form, type ModelDescription } from './graph.js';
import { activation, convLayer } from './blocks.js';
import { scaled, type ModelOptions } from './options.js';

const BN_EPS = 1e-5;

export interface ResNetSpec {
  block: 'basic' | 'bottleneck';
  layers: [number, number, number, number];
}

export const RESNET_SPECS: Record<string, ResNetSpec> = {
  'resnet-18': { block: 'basic', layers: [2, 2, 2, 2] },
  'resnet-34': { block: 'basic', layers: [3, 4, 6, 3] },
  'resnet-50': { block: 'bottleneck', layers: [3, 4, 6, 3] },
};

export function resnet(name: string, spec: ResNetSpec, o: ModelOptions, form: Form): ModelDescription {
  const b = new GraphBuilder([o.inputSize, o.inputSize, o.inputChannels]);
  const deep = o.deepTraining;
  const expansion = spec.block === 'bottleneck' ? 4 : 1;
  // conv(+BN)(+deep-training pair); `followedByAct` decides whether deep training applies.
  const conv = (
    x: string,
    id: string,
    filters: number,
    kernel: number,
    stride: number,
    pad: number,
    followedByAct: boolean,
    role: 'layer' | 'projection' = 'layer',
  ) =>
    convLayer(
      b,
      x,
      form,
      deep && followedByAct,
      { filters, kernel, stride, pad, bias: false, role },
      { deploy: id, conv1: `${id}.0`, bn1: `${id}.1`, lambda: `${id}.lambda`, conv2: `${id}.2`, bn2: `${id}.3` },
      BN_EPS,
    );

  const small = o.stem === 'small';
  let x = small ? conv('input', 'conv1', scaled(64, o.width), 3, 1, 1, true) : conv('input', 'conv1', scaled(64, o.width), 7, 2, 3, true);
  x = activation(b, x, form, o, 'act1');
  if (!small) x = b.pool('maxpool', x, 'maxpool', 3, 2, 'same');

  let inplanes = scaled(64, o.width);
  spec.layers.forEach((count, li) => {
    const planes = scaled(64 * 2 ** li, o.width);
    for (let bi = 0; bi < count; bi++) {
      const p = `layer${li + 1}.${bi}`;
      const stride = bi === 0 && li > 0 ? 2 : 1;
      const input = x;
      let y: string;
      if (spec.block === 'basic') {
        y = conv(input, `${p}.conv1`, planes, 3, stride, 1, true);
        y = activation(b, y, form, o, `${p}.act1`);
        y = conv(y, `${p}.conv2`, planes, 3, 1, 1, false);
      } else {
        y = conv(input, `${p}.conv1`, planes, 1, 1, 0, true);
        y = activation(b, y, form, o, `${p}.act1`);
        y = conv(y, `${p}.conv2`, planes, 3, stride, 1, true);
        y = activation(b, y, form, o, `${p}.act2`);
        y = conv(y, `${p}.conv3`, planes * expansion, 1, 1, 0, false);
      }
      const shortcut = () =>
        stride !== 1 || inplanes !== planes * expansion ? conv(input, `${p}.downsample`, planes * expansion, 1, stride, 0, false, 'projection') : input;
      if (o.shortcut === 'before-act') y = b.add(`${p}.add`, y, shortcut());
      y = activation(b, y, form, o, `${p}.act`);
      if (o.shortcut === 'after-act') y = b.add(`${p}.add`, y, shortcut());
      x = y;
      inplanes = planes * expansion;
    }
  });
  const gap = b.globalAvgPool('avgpool', x);
  const fc = b.fusing(form === 'train' ? 'fc' : undefined, () => b.dense('fc', gap, o.numClasses));
  return b.finish({ name, family: 'resnet', form, numClasses: o.numClasses }, fc);
}
