/**
 * The paper's latency claims, judged per runtime and hardware on one measurement run (./latencyStudy.ts), with the
 * statistics of ./latencyEvidence.ts: VanillaNet is faster than a ResNet of similar accuracy; latency grows with
 * depth (more than with FLOPs); the merged deploy form is faster than the training form.
 */
import type { Claim } from '../ablation/verdicts.js';
import type { ZooEntry } from '../models/zoo.js';
import { MIN_RANKED_MODELS, runtimeEvidence, type Interval, type RankCorrelation, type RuntimeEvidence } from './latencyEvidence.js';
import type { LatencySelection, LatencyStudy, RuntimeInfo, StudyMember } from './latencyStudy.js';
import { describeRuntime, runKey } from './latencyStudy.js';
import { f2 } from './markdown.js';

export { similarAccuracyPairs } from './latencyEvidence.js';

/** "1.23 [1.10, 1.38]" */
export const intervalText = (i: Interval, d = 2): string => `${f2(i.value, d)} [${f2(i.low, d)}, ${f2(i.high, d)}]`;
const rhoText = (r: RankCorrelation): string => `${f2(r.value, 2)} [${f2(r.low, 2)}, ${f2(r.high, 2)}]`;

/** "tfjs-wasm, 1 thread, on AMD EPYC, 2 cores" */
export const onHardware = (rt: RuntimeInfo): string => `${rt.label}, on ${rt.hardware}${rt.software ? ' (a software adapter: plumbing, not a GPU)' : ''}`;

/** The evidence of each runtime shown (seeded by its run, so that the bootstrap is the same in every report). */
export function studyEvidence(members: readonly StudyMember[], zoo: readonly ZooEntry[]): Map<StudyMember, RuntimeEvidence> {
  return new Map(
    members.map((m) => {
      const e = runtimeEvidence(m, zoo, `${runKey(m.data, m.run)}:${m.runtime.id}`);
      // a software adapter runs the GPU code on the CPU: its timings check the plumbing and say nothing about a GPU
      return [m, m.runtime.software ? { ...e, pairVerdict: 'not tested', depthVerdict: 'not tested', speedupVerdict: 'not tested' } : e];
    }),
  );
}

function pairClaim(rt: RuntimeInfo, e: RuntimeEvidence, zoo: readonly ZooEntry[], setting: string): Claim {
  const claim = `VanillaNet (deploy) is faster than a ResNet of similar ImageNet accuracy (${onHardware(rt)})`;
  if (e.pairs.length === 0) {
    const names = zoo.filter((z) => z.paper && /^(vanillanet-\d+|resnet-\d+)$/.test(z.name)).map((z) => z.name);
    return { id: `vanilla-vs-resnet:${rt.id}`, claim, verdict: 'not tested', detail: `no similar-accuracy pair timed (of ${names.join(', ')}).` };
  }
  return {
    id: `vanilla-vs-resnet:${rt.id}`,
    claim,
    verdict: e.pairVerdict,
    detail:
      `VanillaNet / ResNet mean latency, 95% CI (${setting}): ` +
      e.pairs
        .map(
          (p) =>
            `${p.vanilla.name} / ${p.resnet.name} (paper top-1 ${p.vanilla.paper!.top1} vs ${p.resnet.paper!.top1}) ${intervalText(p.ours)}x, paper A100 ${f2(p.paper, 2)}x`,
        )
        .join('; ') +
      '. Below 1: VanillaNet faster; the verdict needs every pair on one side of 1.',
  };
}

function depthClaim(rt: RuntimeInfo, e: RuntimeEvidence, setting: string): Claim {
  const claim = `Latency grows with depth, more than with FLOPs (${onHardware(rt)})`;
  if (!e.depth || !e.paperDepth)
    return {
      id: `latency-vs-depth:${rt.id}`,
      claim,
      verdict: 'not tested',
      detail: `fewer than ${MIN_RANKED_MODELS} models of Table 4 timed, or no VanillaNet and ResNet both (within one family depth and FLOPs grow together).`,
    };
  const d = e.depth;
  const better =
    d.difference.low > 0
      ? 'depth ranks latency better than GMACs'
      : d.difference.high < 0
        ? 'GMACs rank latency better than depth'
        : 'depth and GMACs not told apart';
  return {
    id: `latency-vs-depth:${rt.id}`,
    claim,
    verdict: e.depthVerdict,
    detail:
      `Spearman ρ over the ${d.depth.n} models of Table 4 timed (${setting}), 95% bootstrap CI over the models: latency vs depth ρ = ${rhoText(d.depth)}, ` +
      `vs GMACs ρ = ${rhoText(d.flops)}; ρ(depth) − ρ(GMACs) = ${intervalText(d.difference)} (${better}). ` +
      `The paper's A100 figures for the same models: ρ(depth) = ${rhoText(e.paperDepth.depth)}, ρ(FLOPs) = ${rhoText(e.paperDepth.flops)}. ` +
      'The verdict reads ρ(depth): a CI above 0 reproduces the paper.',
  };
}

function speedupClaim(rt: RuntimeInfo, e: RuntimeEvidence): Claim {
  const claim = `The merged deploy form is faster than the training form (${onHardware(rt)})`;
  const vanilla = e.speedups.filter((s) => s.vanilla);
  return {
    id: `deploy-vs-train:${rt.id}`,
    claim,
    verdict: e.speedupVerdict,
    detail:
      'train / deploy mean latency, 95% CI: ' +
      e.speedups.map((s) => `${s.model} ${intervalText(s.ratio, 3)}x`).join(', ') +
      `${vanilla.length > 0 && vanilla.length < e.speedups.length ? ' (verdict on the VanillaNet models; the baselines have no pairs to merge, only BN)' : ''}.`,
  };
}

const settingOf = (s: { inputSize: number; batch: number }, key: string) => `${s.inputSize} px, batch ${s.batch}, run ${key}`;

/**
 * The latency claims: per runtime of the study (and runtime of its own run, `extra`), the pair and depth claims; per tfjs runtime of Table 4's run timed in
 * both forms, the deploy speed-up. `speedupRun`: the members of Table 4's run (the study's own when it is that run).
 */
export function latencyClaims(
  study: LatencyStudy | null,
  extra: readonly StudyMember[],
  speedupRun: readonly LatencySelection[],
  zoo: readonly ZooEntry[],
): Claim[] {
  const claims: Claim[] = [];
  for (const [m, e] of studyEvidence([...(study?.members ?? []), ...extra], zoo)) {
    const setting = settingOf(m, runKey(m.data, m.run));
    const judged = [pairClaim(m.runtime, e, zoo, setting), depthClaim(m.runtime, e, setting)];
    const plumbing = (c: Claim): Claim => ({ ...c, detail: `a software adapter (plumbing, not a GPU): its timings are shown, not judged. ${c.detail}` });
    claims.push(...(m.runtime.software ? judged.map(plumbing) : judged));
  }
  if (!study) {
    claims.push({
      id: 'vanilla-vs-resnet',
      claim: 'VanillaNet (deploy) is faster than a ResNet of similar ImageNet accuracy',
      verdict: 'not tested',
      detail: 'no latency measured (run `vanillabench latency --runtimes wasm,onnxruntime`).',
    });
  }
  const before = claims.length;
  for (const s of speedupRun) {
    const e = runtimeEvidence(s, zoo, `${runKey(s.data, s.run)}:speedup`);
    if (e.speedups.length > 0) claims.push(speedupClaim(describeRuntime(s.data, s.rows), e));
  }
  if (claims.length === before) {
    claims.push({
      id: 'deploy-vs-train',
      claim: 'The merged deploy form is faster than the training form',
      verdict: 'not tested',
      detail: 'no model timed in both forms (run `vanillabench latency --form both`).',
    });
  }
  return claims;
}
