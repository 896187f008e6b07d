/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), as the VanillaNet recipe's optimizer family.
 * tfjs's Adam has no decoupled decay, so this keeps its own moment buffers. Following the authors (timm), 1-D
 * parameters (biases, BN affine) get no weight decay.
 */
import * as tf from '@tensorflow/tfjs';
import { adamwUpdate, canFuse } from '../backend/kernels/fused.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamW {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(readonly o: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 }) {}

  apply(params: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.o;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, p] of params) {
        const g = grads[p.name];
        if (!g) continue;
        if (!this.m.has(name)) {
          this.m.set(name, tf.variable(tf.zerosLike(p), false));
          this.v.set(name, tf.variable(tf.zerosLike(p), false));
        }
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        if (canFuse(p, g)) {
          adamwUpdate(p, m, v, g, { beta1, beta2, eps, decay: p.rank > 1 ? weightDecay : 0, lr, bc1, bc2 });
          continue;
        }
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        if (weightDecay > 0 && p.rank > 1) update = tf.add(update, tf.mul(p, weightDecay));
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
    });
  }

  /** The step count and the moment estimates by parameter name (live tensors: copy them before the next step). */
  state(): { step: number; m: ReadonlyMap<string, tf.Tensor>; v: ReadonlyMap<string, tf.Tensor> } {
    return { step: this.step, m: this.m, v: this.v };
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
