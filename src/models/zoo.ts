/** The model zoo: every model of the paper's Table 4 we implement, plus the AlexNet-like baseline of Table 2. */
import type { Form, ModelDescription } from './graph.js';
import { resolveOptions, type ModelOptions } from './options.js';
import { VANILLANET_SPECS, vanillanet } from './vanillanet.js';
import { RESNET_SPECS, resnet } from './resnet.js';
import { alexnet } from './alexnet.js';
import { countModel, paperConventionParams } from './count.js';
import { paperRow, type PaperTable4Row } from './paper.js';
import { UserError, oneOf } from '../util/errors.js';

export const MODEL_NAMES = [...Object.keys(VANILLANET_SPECS), 'alexnet', ...Object.keys(RESNET_SPECS)] as const;

/** Family defaults: VanillaNet as trained in the paper; the baselines as published (no tricks, ResNet's shortcuts). */
export function familyDefaults(name: string): Partial<ModelOptions> {
  if (name.startsWith('vanillanet')) return { deepTraining: true, seriesAct: true, shortcut: 'none', dropRate: 0 };
  if (name.startsWith('resnet')) return { deepTraining: false, seriesAct: false, shortcut: 'before-act' };
  return { deepTraining: false, seriesAct: false, shortcut: 'none', dropRate: 0.5 };
}

export function checkModelName(name: string): void {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`unknown model '${name}': valid models are ${oneOf(MODEL_NAMES)}`);
  }
}

/** Resolves a model's options from untrusted input over its family defaults. */
export function modelOptions(name: string, partial: Partial<Record<string, unknown>> = {}): ModelOptions {
  checkModelName(name);
  return resolveOptions(partial, familyDefaults(name));
}

export function describeModel(name: string, options: ModelOptions, form: Form): ModelDescription {
  checkModelName(name);
  const v = VANILLANET_SPECS[name];
  if (v) return vanillanet(name, v, options, form);
  const r = RESNET_SPECS[name];
  if (r) return resnet(name, r, options, form);
  return alexnet(name, options, form);
}

export interface ZooEntry {
  name: string;
  depth: number;
  paramsM: number;
  gmacs: number;
  deployParamsM: number;
  trainParamsM: number;
  trainGmacs: number;
  trainDepth: number;
  options: ModelOptions;
  /** the paper's Table 4 row, only where the options are the paper's setting (paperSettingDiffers) */
  paper: { paramsM: number; gflops: number; depth: number; latencyMs: number; top1: number } | null;
  /** why a model the paper has a row for shows none here, e.g. "n/a at width 0.0625, input 32 (paper: width 1, input 224)" */
  paperNA?: string;
}

/** The options that Table 4's deploy figures depend on (deep training changes only the training form). */
const PAPER_SETTING = ['width', 'inputSize', 'numClasses', 'inputChannels', 'stem', 'seriesAct', 'actNum', 'shortcut'] as const;
const SETTING_WORDS: Record<(typeof PAPER_SETTING)[number], string> = {
  width: 'width',
  inputSize: 'input',
  numClasses: 'classes',
  inputChannels: 'channels',
  stem: 'stem',
  seriesAct: 'series act.',
  actNum: 'act n',
  shortcut: 'shortcut',
};

/**
 * Where `options` leave the setting of the paper's Table 4 (the family defaults: width 1, 224 px, 1000 classes),
 * as "n/a at width 0.0625, input 32 (paper: width 1, input 224)"; null when they are that setting. Figures of
 * another setting are not comparable, so they are not shown beside ours.
 */
export function paperSettingDiffers(name: string, options: ModelOptions): string | null {
  const paper = modelOptions(name);
  const keys = PAPER_SETTING.filter((k) => options[k] !== paper[k]);
  if (!keys.length) return null;
  const list = (o: ModelOptions) => keys.map((k) => `${SETTING_WORDS[k]} ${String(o[k])}`).join(', ');
  return `n/a at ${list(options)} (paper: ${list(paper)})`;
}

const m = (x: number) => Math.round(x / 1e3) / 1e3; // millions, 3 decimals
const g = (x: number) => Math.round(x / 1e6) / 1e3; // giga, 3 decimals

export function zooEntry(name: string, options: ModelOptions): ZooEntry {
  const train = describeModel(name, options, 'train');
  const deploy = describeModel(name, options, 'deploy');
  const ct = countModel(train);
  const cd = countModel(deploy);
  const row: PaperTable4Row | null = paperRow(name);
  const differs = row ? paperSettingDiffers(name, options) : null;
  return {
    name,
    depth: cd.depth,
    paramsM: m(paperConventionParams(train, deploy)),
    gmacs: g(cd.macs),
    deployParamsM: m(cd.params),
    trainParamsM: m(ct.params),
    trainGmacs: g(ct.macs),
    trainDepth: ct.depth,
    options,
    paper: row && !differs ? { paramsM: row.paramsM, gflops: row.gflops, depth: row.depth, latencyMs: row.latencyMs, top1: row.top1 } : null,
    ...(differs ? { paperNA: differs } : {}),
  };
}
