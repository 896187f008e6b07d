/**
 * The order a matrix's runs are handed to workers. Seed rounds stay in order (every cell gets its first seed before
 * any gets its second, so a stopped matrix still has a usable summary); inside a round the costliest runs go
 * first (longest-processing-time-first), so each round, and the matrix, ends on its cheapest runs instead of leaving
 * one worker on a long ResNet-50 run while the others sit idle.
 */
import { inputShapeOf, nodeMacs } from '../models/count.js';
import { nodeIndex } from '../models/graph.js';
import { describeModel, modelOptions } from '../models/zoo.js';
import type { RunDescription } from './matrix.js';

// Weights fitted (least squares) to the wall times of results/ablation/table2 (wasm backend, 2-core VM): a
// depthwise MAC costs ~4.5 dense-convolution MACs and every graph node ~1.8 M MACs of fixed cost per step. MACs
// alone rank ResNet-50 below AlexNet; with these the 12 cells' times are predicted within ~20%.
const DEPTHWISE_MAC_COST = 4.5;
const NODE_COST_PER_STEP = 1.8e6;

/** Estimated training cost of a run (arbitrary units, for ordering only). */
export function estimatedCost(run: RunDescription): number {
  const { model, modelOptions: partial, data, train } = run.spec;
  const desc = describeModel(model, modelOptions(model, { ...partial, inputSize: data.inputSize }), 'train');
  const byId = nodeIndex(desc);
  let perImage = 0;
  for (const node of desc.nodes) {
    const macs = nodeMacs(node, inputShapeOf(node, byId));
    perImage += node.op === 'depthwise' ? DEPTHWISE_MAC_COST * macs : macs;
  }
  perImage += (NODE_COST_PER_STEP * desc.nodes.length) / (train.batchSize ?? 64);
  return perImage * (data.trainSize ?? 1) * (train.epochs ?? 1);
}

/** The runs in dispatch order: by seed round (first appearance), costliest first inside a round; a stable sort. */
export function scheduleRuns(runs: readonly RunDescription[]): RunDescription[] {
  const round = new Map<number, number>();
  for (const r of runs) if (!round.has(r.seed)) round.set(r.seed, round.size);
  const cost = new Map(runs.map((r) => [r.runId, estimatedCost(r)]));
  return runs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => round.get(a.r.seed)! - round.get(b.r.seed)! || cost.get(b.r.runId)! - cost.get(a.r.runId)! || a.i - b.i)
    .map(({ r }) => r);
}
