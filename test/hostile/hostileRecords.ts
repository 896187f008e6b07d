/**
 * Hostile run records: one good record edited field by field into what a damaged or hand-edited runs.jsonl holds
 * (wrong types, absurd values, another matrix, another configuration of a cell). Used by the record tests and as
 * the seed corpus of the results fuzzer.
 */
import { cell, record } from '../ablation/helpers.js';

const c0 = cell(0, { deepTraining: false });
const c1 = cell(1, { deepTraining: true });
const good = (seed: number, c = c0) =>
  record(c, seed, 70 + seed, {
    testTop1: 69 + seed,
    metrics: [{ epoch: 1, lambda: 0, lr: 1e-3, trainLoss: 1.2, trainTop1: 50, valLoss: 1.1, valTop1: 60, imagesPerSec: 100, seconds: 2, merged: false }],
  });
type J = Record<string, unknown>;
const base = (): J => JSON.parse(JSON.stringify(good(3))) as J;
const edit = (f: (r: J) => void): string => {
  const r = base();
  f(r);
  return JSON.stringify(r);
};
const cellOf = (r: J) => r.cell as J;
const epoch0 = (r: J) => (r.metrics as J[])[0];

/** Hostile third lines of a results file: [what, the line, what the error must name]. */
export const HOSTILE: [string, string, RegExp][] = [
  ['cell: {}', edit((r) => (r.cell = {})), /cell\.id/],
  ['a cell without toggles', edit((r) => delete cellOf(r).toggles), /cell\.toggles/],
  ['toggles: null', edit((r) => (cellOf(r).toggles = null)), /cell\.toggles/],
  ['toggles.deepTraining: "yes"', edit((r) => ((cellOf(r).toggles as J).deepTraining = 'yes')), /deepTraining/],
  ['toggles.width: 0', edit((r) => ((cellOf(r).toggles as J).width = 0)), /width/],
  ['factors: "x"', edit((r) => (cellOf(r).factors = 'x')), /cell\.factors/],
  ['a factor value that is an object', edit((r) => (cellOf(r).factors = { deepTraining: { a: 1 } })), /cell\.factors\.deepTraining/],
  ['baseline: null', edit((r) => (cellOf(r).baseline = null)), /cell\.baseline/],
  ['cell.index: -1', edit((r) => (cellOf(r).index = -1)), /cell\.index/],
  ['cell.entry: 1.5', edit((r) => (cellOf(r).entry = 1.5)), /integers/],
  ['cell.model: 7', edit((r) => (cellOf(r).model = 7)), /cell\.model/],
  ['cell.label missing', edit((r) => delete cellOf(r).label), /cell\.label/],
  ['metrics: "x"', edit((r) => (r.metrics = 'x')), /metrics is "x"/],
  ['metrics: [null]', edit((r) => (r.metrics = [null])), /metrics\[0\]/],
  ['metrics: {}', edit((r) => (r.metrics = {})), /metrics is/],
  ["an epoch's valTop1 of 500", edit((r) => (epoch0(r).valTop1 = 500)), /metrics\[0\]\.valTop1 is 500, outside 0\.\.100/],
  ["an epoch's trainLoss of 1e400 (Infinity)", edit((r) => (epoch0(r).trainLoss = 123456789)).replace('123456789', '1e400'), /trainLoss is null|trainLoss/],
  ["an epoch's lr of -1", edit((r) => (epoch0(r).lr = -1)), /metrics\[0\]\.lr/],
  ["an epoch's lambda of 2", edit((r) => (epoch0(r).lambda = 2)), /lambda/],
  ['an epoch\'s epoch of "1"', edit((r) => (epoch0(r).epoch = '1')), /metrics\[0\]\.epoch/],
  ["an epoch's merged of 1", edit((r) => (epoch0(r).merged = 1)), /merged/],
  ['testTop1: -500', edit((r) => (r.testTop1 = -500)), /testTop1 is -500, outside 0\.\.100/],
  ['testTop1: 1e300', edit((r) => (r.testTop1 = 1e300)), /testTop1 is 1e\+300/],
  ['valTop1: "50"', edit((r) => (r.valTop1 = '50')), /valTop1 is "50"/],
  ['deployTestTop1: 100.5', edit((r) => (r.deployTestTop1 = 100.5)), /deployTestTop1/],
  ['trainTop1: true', edit((r) => (r.trainTop1 = true)), /trainTop1/],
  ['status: "weird"', edit((r) => (r.status = 'weird')), /status is "weird"/],
  ['no status', edit((r) => delete r.status), /status/],
  ['seed: -1', edit((r) => (r.seed = -1)), /seed is -1/],
  ['seed: 1.5', edit((r) => (r.seed = 1.5)), /seed is 1\.5/],
  ['seed: "1"', edit((r) => (r.seed = '1')), /seed is "1"/],
  ['runId: 5', edit((r) => (r.runId = 5)), /runId/],
  ['runId: ""', edit((r) => (r.runId = '')), /runId/],
  ['experiment: null', edit((r) => (r.experiment = null)), /experiment is null/],
  ['v: 99', edit((r) => (r.v = 99)), /record version 99/],
  ['no v', edit((r) => delete r.v), /record version/],
  ['wallSeconds: -1', edit((r) => (r.wallSeconds = -1)), /wallSeconds/],
  ['wallSeconds: "x"', edit((r) => (r.wallSeconds = 'x')), /wallSeconds/],
  ['imagesPerSec: -5', edit((r) => (r.imagesPerSec = -5)), /imagesPerSec/],
  ['engine: "jax"', edit((r) => (r.engine = 'jax')), /engine is "jax"/],
  ['machine: null', edit((r) => (r.machine = null)), /machine/],
  ['dataset: 7', edit((r) => (r.dataset = 7)), /dataset/],
  ['message: 5', edit((r) => (r.message = 5)), /message/],
  ['commit: 5', edit((r) => (r.commit = 5)), /commit/],
  ['an array', '[1,2,3]', /not a JSON object/],
  ['a number', '5', /not a JSON object/],
  ['a string', '"a run"', /not a JSON object/],
  ['null', 'null', /not a JSON object/],
  ['not JSON', '{"runId": tor', /not JSON/],
  [
    'a record of another experiment',
    JSON.stringify({ ...good(3), experiment: 'other' }),
    /experiment other preset quick in the results of experiment exp preset quick/,
  ],
  ['a record of another preset', JSON.stringify({ ...good(3), preset: 'full' }), /mixed matrices are refused/],
  [
    'a run of a cell with other settings (after an experiment edit)',
    JSON.stringify(good(3, { ...c0, id: 'cell0-more-epochs' })),
    /other settings than at line 1/,
  ],
];

export const recordParts = { c0, c1, good };
