/**
 * Params, MACs and depth read from a model description, without running anything.
 * MACs follow the paper's counting (torchprofile's profile_macs): convolutions, depthwise convolutions and dense
 * layers, each at the resolution it runs at; BN, activations and pooling are not counted.
 * Depth is the paper's: layers with weights on the longest path; the series activation's depthwise conv is part of
 * an activation and does not count.
 */
import { nodeIndex, paramShapes, type ModelDescription, type Node } from './graph.js';

export interface Counts {
  params: number;
  macs: number;
  depth: number;
}

export function inputShapeOf(node: Node, byId: Map<string, Node>): number[] {
  const first = node.inputs[0];
  return first === undefined ? [] : byId.get(first)!.out;
}

export function nodeMacs(node: Node, inShape: number[]): number {
  const outPixels = node.out.length === 3 ? node.out[0] * node.out[1] : 1;
  switch (node.op) {
    case 'conv':
      return outPixels * node.filters * inShape[2] * node.kernel[0] * node.kernel[1];
    case 'depthwise':
      return outPixels * node.out[2] * node.kernel * node.kernel;
    case 'dense':
      return inShape[0] * node.units;
    default:
      return 0;
  }
}

export function countModel(desc: ModelDescription): Counts {
  const byId = nodeIndex(desc);
  let params = 0;
  let macs = 0;
  const depthAt = new Map<string, number>();
  for (const node of desc.nodes) {
    const inShape = inputShapeOf(node, byId);
    // BN running statistics are buffers, not parameters (as PyTorch counts them).
    for (const [name, shape] of Object.entries(paramShapes(node, inShape))) {
      if (name === 'movingMean' || name === 'movingVariance') continue;
      params += shape.reduce((a, b) => a * b, 1);
    }
    macs += nodeMacs(node, inShape);
    const before = Math.max(0, ...node.inputs.map((i) => depthAt.get(i) ?? 0));
    const weighted = node.op === 'dense' || node.op === 'conv';
    depthAt.set(node.id, before + (weighted ? 1 : 0));
  }
  return { params, macs, depth: depthAt.get(desc.output) ?? 0 };
}

/**
 * Parameters as the paper counts its baselines: the published network with its BatchNorm layers (gamma and beta per
 * channel). Our deploy form folds each BN after a bias-free conv into a bias (one per channel), so the published count
 * is ours plus one per output channel of each such conv. For VanillaNet the paper counts the deploy form itself.
 */
export function paperConventionParams(train: ModelDescription, deploy: ModelDescription): number {
  const own = countModel(deploy).params;
  if (deploy.family === 'vanillanet') return own;
  let extra = 0;
  for (const d of deploy.nodes) {
    if (d.op !== 'conv') continue;
    const first = train.nodes.find((n) => n.fuse === d.id);
    const bnFollows = train.nodes.some((n) => n.fuse === d.id && n.op === 'batchnorm');
    if (first?.op === 'conv' && !first.bias && bnFollows) extra += d.filters;
  }
  return own + extra;
}
