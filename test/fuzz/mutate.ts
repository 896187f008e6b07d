/**
 * Deterministic mutation fuzzing for the readers of untrusted files: seeded mutations of a real input (bit flips,
 * truncations, byte insertions and deletions, length-field edits, repeated chunks), each run under a time bound,
 * with a bound on heap growth. A reader may succeed (the caller checks the result) or throw a UserError; anything
 * else (TypeError, RangeError, a hang past the bound) is a finding.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/data/rng.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

/** The project's seeded generator (src/data/rng.ts) as a function of [0, 1). */
export function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

const FIELD_VALUES = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x10000, 64, 0x1000];

/** One mutation of `base`, chosen by `r`; `what` says which (for a failing case's message). */
export function mutate(base: Uint8Array, r: () => number): { bytes: Buffer; what: string } {
  const b = Buffer.from(base);
  const at = (n = b.length) => Math.floor(r() * Math.max(1, n));
  const kind = Math.floor(r() * 7);
  switch (kind) {
    case 0: {
      const flips = 1 + at(8);
      for (let i = 0; i < flips; i++) {
        const p = at();
        if (p < b.length) b[p]! ^= 1 << at(8);
      }
      return { bytes: b, what: `${flips} bit flips` };
    }
    case 1: {
      const n = at(b.length + 1);
      return { bytes: b.subarray(0, n), what: `truncated to ${n}` };
    }
    case 2: {
      const p = at(b.length + 1);
      const ins = Buffer.alloc(1 + at(32));
      for (let i = 0; i < ins.length; i++) ins[i] = at(256);
      return { bytes: Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]), what: `${ins.length} bytes inserted at ${p}` };
    }
    case 3:
    case 4: {
      // a length field: 2, 4 or 8 bytes (either byte order) set to a boundary value or the old value +- 1,
      // near the start (where headers are) more often than not
      const width = [2, 4, 8][at(3)]!;
      const region = r() < 0.7 ? Math.min(b.length, 256) : b.length;
      const p = at(Math.max(1, region - width));
      if (p + width > b.length) return { bytes: b, what: 'unchanged (too short)' };
      const old = b.readUIntLE(p, Math.min(width, 6));
      const pick = at(FIELD_VALUES.length + 2);
      const v = pick === FIELD_VALUES.length ? old + 1 : pick === FIELD_VALUES.length + 1 ? Math.max(0, old - 1) : FIELD_VALUES[pick]!;
      const big = r() < 0.3;
      if (width === 8) {
        if (big) b.writeBigUInt64BE(BigInt(v), p);
        else b.writeBigUInt64LE(BigInt(v), p);
      } else if (width === 4) {
        if (big) b.writeUInt32BE(v >>> 0, p);
        else b.writeUInt32LE(v >>> 0, p);
      } else if (big) b.writeUInt16BE(v & 0xffff, p);
      else b.writeUInt16LE(v & 0xffff, p);
      return { bytes: b, what: `${width}-byte field at ${p} set to ${v}${big ? ' (BE)' : ''}` };
    }
    case 5: {
      const p = at();
      const n = 1 + at(64);
      return { bytes: Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + n))]), what: `${n} bytes deleted at ${p}` };
    }
    default: {
      const p = at();
      const n = 1 + at(256);
      const chunk = b.subarray(p, p + n);
      const q = at(b.length + 1);
      return { bytes: Buffer.concat([b.subarray(0, q), chunk, b.subarray(q)]), what: `${chunk.length} bytes from ${p} repeated at ${q}` };
    }
  }
}

/** Values an adversary puts in a JSON field: wrong types, boundaries, absurd magnitudes. */
const INFINITY_MARK = 987654321.125;
const HOSTILE_JSON: unknown[] = [null, 0, -1, 1.5, 100.5, -500, 1e300, -1e300, 2 ** 53, '', 'x', '../../x', true, false, [], {}, [null], { a: 1 }];

/** Every path (keys and indices) to a value of `v`, up to `limit` of them. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = [], limit = 4000): (string | number)[][] {
  if (out.length >= limit) return out;
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out, limit));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out, limit);
  return out;
}

/**
 * One structural mutation of a JSON document (or, for JSON lines, of one line): a value replaced by a hostile one,
 * a key deleted, an element repeated, a number turned into text or into 1e400 (Infinity once parsed). Falls back
 * to a byte mutation when the text is not JSON.
 */
export function mutateJson(base: Uint8Array, r: () => number, lines = false): { bytes: Buffer; what: string } {
  const text = Buffer.from(base).toString('utf8');
  const docs = lines ? text.split('\n') : [text];
  const candidates = docs.map((d, i) => [d, i] as const).filter(([d]) => d.trim() !== '');
  if (candidates.length === 0) return mutate(base, r);
  const [doc, index] = candidates[Math.floor(r() * candidates.length)]!;
  let v: unknown;
  try {
    v = JSON.parse(doc);
  } catch {
    return mutate(base, r);
  }
  const all = paths(v);
  const p = all[Math.floor(r() * all.length)]!;
  const kind = Math.floor(r() * 5);
  let out: string;
  let what: string;
  if (p.length === 0) {
    out = JSON.stringify(HOSTILE_JSON[Math.floor(r() * HOSTILE_JSON.length)]);
    what = `document replaced by ${out}`;
  } else {
    const parent = p.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v) as Record<string | number, unknown>;
    const key = p[p.length - 1]!;
    if (kind === 0 && !Array.isArray(parent)) {
      delete parent[key];
      what = `deleted ${p.join('.')}`;
    } else if (kind === 1 && Array.isArray(parent)) {
      parent.splice(Number(key), 0, parent[Number(key)]);
      what = `repeated ${p.join('.')}`;
    } else if (kind === 2 && typeof parent[key] === 'number') {
      parent[key] = String(parent[key]);
      what = `${p.join('.')} as text`;
    } else if (kind === 3) {
      parent[key] = INFINITY_MARK; // written as 1e400 below: JSON.parse gives Infinity
      what = `${p.join('.')} = 1e400`;
    } else {
      parent[key] = HOSTILE_JSON[Math.floor(r() * HOSTILE_JSON.length)];
      what = `${p.join('.')} = ${JSON.stringify(parent[key])}`;
    }
    out = JSON.stringify(v).replace(String(INFINITY_MARK), '1e400');
  }
  docs[index] = out;
  return { bytes: Buffer.from(docs.join(lines ? '\n' : '')), what: `${lines ? `line ${index + 1}: ` : ''}${what}` };
}

export interface FuzzReport {
  tried: number;
  accepted: number;
  refused: number;
  slowestMs: number;
  seconds: number;
  findings: string[];
}

export interface FuzzOptions {
  seed: number;
  /** inputs to try */
  count: number;
  /** and stop early after this long (a slow, shared machine), still reporting how many were tried */
  budgetMs: number;
  /** one input may take at most this long */
  perInputMs: number;
  /** heap + array buffers may grow at most this much over the run */
  heapGrowthMiB: number;
  /** how an input is derived from the base (default: byte mutations, ./mutate.ts mutate) */
  mutator?: (base: Uint8Array, r: () => number) => { bytes: Buffer; what: string };
}

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Runs `read` on `count` mutations of `base`. `read` returns normally (having checked its result) or throws. */
export async function fuzz(base: Uint8Array, read: (bytes: Buffer) => unknown, o: FuzzOptions): Promise<FuzzReport> {
  const r = rng(o.seed);
  const start = performance.now();
  gc();
  const heap0 = used();
  const rep: FuzzReport = { tried: 0, accepted: 0, refused: 0, slowestMs: 0, seconds: 0, findings: [] };
  for (let i = 0; i < o.count && performance.now() - start < o.budgetMs; i++) {
    const { bytes, what } = (o.mutator ?? mutate)(base, r);
    const t0 = performance.now();
    try {
      await read(bytes);
      rep.accepted++;
    } catch (err) {
      if (err instanceof UserError || (err as Error)?.name === 'UserError') rep.refused++;
      else rep.findings.push(`#${i} (${what}): ${(err as Error)?.stack ?? String(err)}`);
    }
    const ms = performance.now() - t0;
    rep.tried++;
    rep.slowestMs = Math.max(rep.slowestMs, ms);
    if (ms > o.perInputMs) rep.findings.push(`#${i} (${what}): took ${ms.toFixed(0)} ms > ${o.perInputMs} ms`);
    if (i % 20 === 19) gc(); // garbage stays small; what is left over the bound is held, or was allocated by one input
    const grown = (used() - heap0) / 2 ** 20;
    if (grown > o.heapGrowthMiB) {
      rep.findings.push(`#${i} (${what}): memory grew by ${grown.toFixed(0)} MiB > ${o.heapGrowthMiB} MiB`);
      break;
    }
    if (rep.findings.length >= 5) break;
  }
  rep.seconds = (performance.now() - start) / 1000;
  return rep;
}
