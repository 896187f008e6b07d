/** The paper's own figures (src/reference/paper-tables.json, see SOURCE.md there), shown beside ours. */
import paper from '../reference/paper-tables.json' with { type: 'json' };

export interface PaperTable4Row {
  model: string;
  paramsM: number;
  gflops: number;
  depth: number;
  latencyMs: number;
  top1: number;
  realTop1: number | null;
}

export const PAPER = paper as {
  source: string;
  notes: string[];
  table4: PaperTable4Row[];
  table2_ablation: { caption: string; rows: { network: string; deepTraining: boolean; seriesAct: boolean; top1: number }[] };
  table3_shortcut: { caption: string; rows: { shortcut: string; top1: number }[] };
  official_readme_latency_ms: { caption: string; columns: string[]; rows: Record<string, (number | null)[]> };
};

/** The model options the paper's ablation tables vary: Table 2 deep training and series activation, Table 3 the shortcut. */
export const TABLE2_FACTORS = ['deepTraining', 'seriesAct'] as const;
export const TABLE3_FACTORS = ['shortcut'] as const;
/** The factors with a paper counterpart: a comparison over any other has no paper effect. */
export const PAPER_FACTORS: readonly string[] = [...TABLE2_FACTORS, ...TABLE3_FACTORS];

/** The paper's network name for a zoo model name (vanillanet-6 -> VanillaNet-6, resnet-50 -> ResNet-50, alexnet -> AlexNet). */
export function paperNetworkName(model: string): string {
  return model
    .replace(/^vanillanet/, 'VanillaNet')
    .replace(/^resnet/, 'ResNet')
    .replace(/^alexnet$/, 'AlexNet');
}

/** The paper's Table 4 row for one of our zoo names (vanillanet-13-1.5x, resnet-50, ...), or null. */
export function paperRow(zooName: string): PaperTable4Row | null {
  const key = paperNetworkName(zooName).replace(/^(ResNet-\d+)$/, '$1-TNR');
  return PAPER.table4.find((r) => r.model === key) ?? null;
}
