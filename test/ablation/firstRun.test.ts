/**
 * The README's main job (`ablate experiments/table2.ts --preset quick`, and any experiment's quick preset) must find
 * its default output folder empty in a fresh clone: a committed result there once made it fail ("already holds
 * results: add --resume"). Committed previews live under other names (e.g. table2-quick-preview).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOut } from '../../src/commands/ablate.js';

describe('first run', () => {
  it("no committed results in the default output folder of any experiment's quick preset", () => {
    const names = readdirSync('experiments')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(names).toContain('table2');
    for (const name of names) {
      const dir = defaultOut(name, 'quick');
      expect(dir).toBe(path.join('results', 'ablation', `${name}-quick`));
      expect(existsSync(path.join(dir, 'runs.jsonl')), `${dir}/runs.jsonl is committed`).toBe(false);
    }
  });
});
