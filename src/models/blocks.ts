/**
 * The paper's two training tricks as description fragments, shared by every family:
 * - deep training: a conv becomes conv -> BN -> lambda-activation -> conv 1x1 -> BN (one conv once merged);
 * - series informed activation: ReLU -> depthwise (2n+1)^2 conv -> BN (a depthwise conv with bias once merged).
 * In the training form every weighted node is marked with the deploy node it folds into (`fuse`).
 */
import type { Form, GraphBuilder, Pad4 } from './graph.js';
import type { ModelOptions } from './options.js';

/** BatchNorm epsilon of the series activation (the authors' `activation` module: nn.BatchNorm2d(dim, eps=1e-6)). */
export const SERIES_ACT_BN_EPS = 1e-6;

export interface ConvSpec {
  filters: number;
  kernel: number | [number, number];
  stride?: number;
  pad?: number | Pad4;
  /** bias of the training-form conv (the official VanillaNet convs have one; ResNet's do not) */
  bias?: boolean;
  role?: 'layer' | 'projection';
}

/**
 * A conv layer followed (in the training form) by BN, and with deep training by lambda-act + conv 1x1 + BN.
 * `ids` names the training-form nodes (so imported checkpoints map by name); `deployId` the merged conv.
 */
export function convLayer(
  b: GraphBuilder,
  x: string,
  form: Form,
  deep: boolean,
  spec: ConvSpec,
  ids: { deploy: string; conv1: string; bn1: string; lambda?: string; conv2?: string; bn2?: string },
  bnEps: number,
): string {
  if (form === 'deploy') return b.conv(ids.deploy, x, { ...spec, bias: true });
  return b.fusing(ids.deploy, () => {
    let y = b.conv(ids.conv1, x, { ...spec, bias: spec.bias ?? true });
    y = b.batchnorm(ids.bn1, y, bnEps);
    if (!deep) return y;
    if (!ids.lambda || !ids.conv2 || !ids.bn2) throw new Error(`internal: deep-training ids missing for ${ids.deploy}`);
    y = b.act(ids.lambda, y, 'lambdaAct');
    y = b.conv(ids.conv2, y, { filters: spec.filters, kernel: 1, bias: spec.bias ?? true, role: spec.role });
    return b.batchnorm(ids.bn2, y, bnEps);
  });
}

/** A dense layer with the same deep-training treatment (the VanillaNet classifier is a 1x1 conv on a 1x1 map). */
export function denseLayer(
  b: GraphBuilder,
  x: string,
  form: Form,
  deep: boolean,
  units: number,
  ids: { deploy: string; dense1: string; bn1: string; lambda: string; dense2: string },
  bnEps: number,
): string {
  if (form === 'deploy' || !deep) return b.fusing(form === 'train' ? ids.deploy : undefined, () => b.dense(ids.deploy, x, units));
  return b.fusing(ids.deploy, () => {
    let y = b.dense(ids.dense1, x, units);
    y = b.batchnorm(ids.bn1, y, bnEps);
    y = b.act(ids.lambda, y, 'lambdaAct');
    return b.dense(ids.dense2, y, units);
  });
}

/**
 * The block's activation: plain ReLU, or the series informed activation (ReLU, then a learned depthwise
 * (2n+1)x(2n+1) conv that mixes each pixel's neighbours, then BN; in deploy form the BN is folded into a bias).
 * `id` is the depthwise conv's id (the official name of the activation module), `deployId` its deploy-form name.
 * The BN is the authors' module's in every family (eps 1e-6, also in the baselines, whose own BNs use 1e-5).
 */
export function activation(b: GraphBuilder, x: string, form: Form, o: Pick<ModelOptions, 'seriesAct' | 'actNum'>, id: string, deployId = id): string {
  if (!o.seriesAct) return b.act(id, x, 'relu');
  const r = b.act(`${id}.relu`, x, 'relu');
  const k = 2 * o.actNum + 1;
  if (form === 'deploy') return b.depthwise(id, r, { kernel: k, bias: true });
  return b.fusing(deployId, () => b.batchnorm(`${id}.bn`, b.depthwise(id, r, { kernel: k, bias: false }), SERIES_ACT_BN_EPS));
}
