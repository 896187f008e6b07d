/** The paper's latency claims, judged on the report's Table 4 measurements (./inputs.ts selectLatency). */
import type { Claim, Verdict } from '../ablation/verdicts.js';
import type { ZooEntry } from '../models/zoo.js';
import type { LatencyRow } from '../results/latencyFile.js';
import { spearman } from '../util/stats.js';
import { rowOf, type LatencySelection } from './inputs.js';
import { f2 } from './markdown.js';

/** Similar-accuracy pairs of the paper: each ResNet with the least accurate VanillaNet at least as accurate. */
export function similarAccuracyPairs(zoo: readonly ZooEntry[]): { resnet: ZooEntry; vanilla: ZooEntry }[] {
  const vanillas = zoo.filter((z) => /^vanillanet-\d+$/.test(z.name) && z.paper).sort((a, b) => a.paper!.top1 - b.paper!.top1);
  return zoo
    .filter((z) => z.name.startsWith('resnet') && z.paper)
    .flatMap((r) => {
      const v = vanillas.find((x) => x.paper!.top1 >= r.paper!.top1);
      return v ? [{ resnet: r, vanilla: v }] : [];
    });
}

/** Whether the 95% confidence intervals of two rows' mean latencies overlap. */
function ciOverlap(a: LatencyRow, b: LatencyRow): boolean {
  const moe = (r: LatencyRow) => (r.meanMs! * (r.rmePct ?? 0)) / 100;
  return Math.abs(a.meanMs! - b.meanMs!) <= moe(a) + moe(b);
}

/** Spearman's rank correlation of the two quantities `xy` gives for each of `rows`. */
function rankCorrelation<T>(rows: readonly T[], xy: (r: T) => [number, number]): number {
  const pairs = rows.map(xy);
  return spearman(
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
  );
}

/** 1. Depth vs FLOPs as a predictor of latency. */
function depthVsFlops(deploy: LatencyRow[], setting: string): Claim {
  const claim = 'Latency follows depth more than FLOPs (so a shallow network with more FLOPs can be faster)';
  if (deploy.length < 3) {
    return { id: 'depth-vs-flops', claim, verdict: 'not tested', detail: `needs deploy latency of at least 3 models (have ${deploy.length})` };
  }
  const rd = rankCorrelation(deploy, (r) => [r.depth, r.meanMs!]);
  const rg = rankCorrelation(deploy, (r) => [r.gmacs, r.meanMs!]);
  const withPaper = deploy.filter((r) => r.paper);
  const paper = withPaper.length >= 3;
  const pd = paper ? rankCorrelation(withPaper, (r) => [r.paper!.depth, r.paper!.latencyMs]) : Number.NaN;
  const pg = paper ? rankCorrelation(withPaper, (r) => [r.paper!.gflops, r.paper!.latencyMs]) : Number.NaN;
  const same = rankCorrelation(deploy, (r) => [r.depth, r.gmacs]);
  const verdict: Verdict = !Number.isFinite(rd) || !Number.isFinite(rg) || rd === rg ? 'inconclusive' : rd > rg ? 'held' : 'did not hold';
  return {
    id: 'depth-vs-flops',
    claim,
    verdict,
    detail:
      `Spearman rank correlation over the ${deploy.length} models timed (${setting}): latency vs depth ρ = ${f2(rd, 3)}, ` +
      `latency vs GMACs ρ = ${f2(rg, 3)}${same === 1 ? ' (depth and GMACs rank these models alike, so they cannot be told apart)' : ''}. ` +
      `The paper's A100 figures for the ${withPaper.length} of them in its Table 4: ρ(depth) = ${f2(pd, 3)}, ρ(FLOPs) = ${f2(pg, 3)}.`,
  };
}

/** 2. VanillaNet beats ResNets of similar paper accuracy. */
function vanillaVsResnet(sel: LatencySelection | null, zoo: readonly ZooEntry[], setting: string): Claim {
  const claim = 'VanillaNet (deploy) is faster than a ResNet of similar ImageNet accuracy';
  const pairs = similarAccuracyPairs(zoo);
  const tested = pairs.flatMap(({ resnet, vanilla }) => {
    const r = rowOf(sel, resnet.name, 'deploy');
    const v = rowOf(sel, vanilla.name, 'deploy');
    return r && v ? [{ resnet, vanilla, r, v }] : [];
  });
  if (tested.length === 0) {
    return {
      id: 'vanilla-vs-resnet',
      claim,
      verdict: 'not tested',
      detail: `no pair timed (pairs by paper top-1: ${pairs.map((p) => `${p.vanilla.name} vs ${p.resnet.name}`).join(', ')})`,
    };
  }
  const wins = tested.filter((t) => t.v.meanMs! < t.r.meanMs!);
  return {
    id: 'vanilla-vs-resnet',
    claim,
    verdict: wins.length === tested.length ? 'held' : wins.length === 0 ? 'did not hold' : 'inconclusive',
    detail:
      `${wins.length} of ${tested.length} pairs (${setting}): ` +
      tested
        .map(
          (t) =>
            `${t.vanilla.name} (paper ${t.vanilla.paper!.top1}%) ${f2(t.v.meanMs)} ms vs ${t.resnet.name} (paper ${t.resnet.paper!.top1}%) ${f2(t.r.meanMs)} ms` +
            ` = ${f2(t.v.meanMs! / t.r.meanMs!, 2)}x${ciOverlap(t.v, t.r) ? ' (95% CIs overlap)' : ''} (paper A100: ${t.vanilla.paper!.latencyMs} vs ${t.resnet.paper!.latencyMs} ms = ${f2(t.vanilla.paper!.latencyMs / t.resnet.paper!.latencyMs, 2)}x)`,
        )
        .join('; ') +
      '.',
  };
}

/** 3. The deploy form is faster than the training form. */
function deployVsTrain(sel: LatencySelection | null): Claim {
  const claim = 'The merged deploy form is faster than the training form (deep training pairs + series activation BN un-merged)';
  const both = (sel?.rows ?? []).filter((r) => r.form === 'deploy' && r.status === 'ok' && rowOf(sel, r.model, 'train'));
  if (both.length === 0) {
    return { id: 'deploy-vs-train', claim, verdict: 'not tested', detail: 'no model timed in both forms (run `vanillabench latency --form both`)' };
  }
  const items = both.map((d) => {
    const t = rowOf(sel, d.model, 'train')!;
    return { model: d.model, ratio: t.meanMs! / d.meanMs!, separated: !ciOverlap(t, d), vanilla: d.model.startsWith('vanillanet') };
  });
  const vanilla = items.filter((i) => i.vanilla);
  const judged = vanilla.length > 0 ? vanilla : items;
  const faster = judged.filter((i) => i.ratio > 1);
  return {
    id: 'deploy-vs-train',
    claim,
    verdict: faster.length === judged.length ? 'held' : faster.length === 0 ? 'did not hold' : 'inconclusive',
    detail:
      `train/deploy mean latency: ` +
      items.map((i) => `${i.model} ${f2(i.ratio, 3)}x${i.separated ? '' : ' (95% CIs overlap)'}`).join(', ') +
      `${vanilla.length > 0 && vanilla.length < items.length ? ' (verdict on the VanillaNet models; the baselines have no pairs to merge, only BN)' : ''}.`,
  };
}

export function latencyClaims(sel: LatencySelection | null, zoo: readonly ZooEntry[]): Claim[] {
  const deploy = sel ? sel.rows.filter((r) => r.form === 'deploy' && r.status === 'ok') : [];
  const setting = sel ? `${sel.data.backend} on ${sel.data.machine.cpuModel} (${sel.data.machine.cores} cores), ${sel.inputSize} px, batch ${sel.batch}` : '';
  return [depthVsFlops(deploy, setting), vanillaVsResnet(sel, zoo, setting), deployVsTrain(sel)];
}
