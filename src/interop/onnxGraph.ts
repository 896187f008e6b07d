/**
 * The ONNX graph as it is being built from a model description: its nodes, its initializers (our weights in ONNX's
 * layouts), how many nodes of each operator and how many parameters it holds.
 */
import * as tf from '@tensorflow/tfjs';
import type { Node } from '../models/graph.js';
import { key, type Weights } from '../nn/weights.js';
import { floatTensor, int64Tensor, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx.js';

/** The tensor's values with its axes permuted (the kernel layouts differ between tfjs and ONNX). */
function permuted(t: tf.Tensor, perm: number[] | null): Float32Array {
  if (perm === null) return t.dataSync() as Float32Array;
  const p = tf.transpose(t, perm);
  try {
    return p.dataSync() as Float32Array;
  } finally {
    p.dispose();
  }
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  /** operator -> count */
  readonly ops: Record<string, number> = {};
  /** float32 values of the weight initializers */
  params = 0;

  /** `w`: the description's weights (tfjs layouts) */
  constructor(private readonly w: Weights) {}

  /** Adds a node; returns its output's name. */
  emit(op: string, name: string, input: string[], output: string, attribute: OnnxAttribute[] = []): string {
    this.nodes.push({ name, op_type: op, input, output: [output], attribute });
    this.ops[op] = (this.ops[op] ?? 0) + 1;
    return output;
  }

  /** Adds node `n`'s parameter `param` as an initializer, axes permuted by `perm`; returns its name. */
  weight(n: Node, param: string, perm: number[] | null, dims: number[]): string {
    const t = this.w.get(key(n.id, param));
    if (!t) throw new Error(`internal: missing weight ${key(n.id, param)}`);
    const name = `${n.id}.${param === 'kernel' ? 'weight' : param}`;
    this.inits.push(floatTensor(name, dims, permuted(t, perm)));
    this.params += t.size;
    return name;
  }

  /** Adds a constant int64 initializer (indices); returns its name. */
  int64(name: string, dims: number[], values: number[]): string {
    this.inits.push(int64Tensor(name, dims, values));
    return name;
  }
}
