/**
 * The AlexNet-like baseline of the paper's Table 2: torchvision's AlexNet layout (5 convs, 3 fully connected
 * layers) with BatchNorm after every conv (needed so deep training can fold it away). Toggles:
 * - deepTraining: each conv (all are followed by an activation) becomes conv -> BN -> lambda-act -> conv 1x1 -> BN;
 * - seriesAct: each conv's ReLU becomes the series activation (the classifier's ReLUs act on vectors, where a
 *   depthwise spatial kernel has no neighbours, so they stay ReLU);
 * - shortcut: AlexNet has none ('none' only).
 * Small-image stem: 3x3/1 first conv and 2x2 pools, for 28-32 px inputs.
 */
import { GraphBuilder, type Form, type ModelDescription } from './graph.js';
import { activation, convLayer } from './blocks.js';
import { scaled, type ModelOptions } from './options.js';
import { UserError } from '../util/errors.js';

const BN_EPS = 1e-5;

export function alexnet(name: string, o: ModelOptions, form: Form): ModelDescription {
  if (o.shortcut !== 'none') throw new UserError(`alexnet has no residual blocks: shortcut must be none, got '${o.shortcut}'`);
  const b = new GraphBuilder([o.inputSize, o.inputSize, o.inputChannels]);
  const small = o.stem === 'small';
  const w = (c: number) => scaled(c, o.width);
  const conv = (x: string, i: number, filters: number, kernel: number, stride: number, pad: number) => {
    const id = `features.conv${i}`;
    const y = convLayer(
      b,
      x,
      form,
      o.deepTraining,
      { filters, kernel, stride, pad },
      { deploy: id, conv1: `${id}.0`, bn1: `${id}.1`, lambda: `${id}.lambda`, conv2: `${id}.2`, bn2: `${id}.3` },
      BN_EPS,
    );
    return activation(b, y, form, o, `features.act${i}`);
  };
  const pool = (x: string, i: number) => (small ? b.pool(`features.pool${i}`, x, 'maxpool', 2, 2) : b.pool(`features.pool${i}`, x, 'maxpool', 3, 2));

  let x = small ? conv('input', 1, w(64), 3, 1, 1) : conv('input', 1, w(64), 11, 4, 2);
  x = pool(x, 1);
  x = conv(x, 2, w(192), small ? 3 : 5, 1, small ? 1 : 2);
  x = pool(x, 2);
  x = conv(x, 3, w(384), 3, 1, 1);
  x = conv(x, 4, w(256), 3, 1, 1);
  x = conv(x, 5, w(256), 3, 1, 1);
  x = pool(x, 5);
  x = b.flatten('flatten', x);
  const dense = (x: string, id: string, units: number) => b.fusing(form === 'train' ? id : undefined, () => b.dense(id, x, units));
  x = dense(b.dropout('classifier.drop1', x, o.dropRate), 'classifier.fc1', w(4096));
  x = b.act('classifier.relu1', x, 'relu');
  x = dense(b.dropout('classifier.drop2', x, o.dropRate), 'classifier.fc2', w(4096));
  x = b.act('classifier.relu2', x, 'relu');
  x = dense(x, 'classifier.fc3', o.numClasses);
  return b.finish({ name, family: 'alexnet', form, numClasses: o.numClasses }, x);
}
