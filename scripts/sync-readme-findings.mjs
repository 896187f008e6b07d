#!/usr/bin/env node
/**
 * Copies results/findings.md (written by `vanillabench report`) into README.md between the markers
 * <!-- findings:start ... --> and <!-- findings:end -->, so the README's findings are generated, never retyped.
 * Usage: node scripts/sync-readme-findings.mjs [--check]   (--check: exit 1 if the README is out of date)
 */
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- findings:start';
const END = '<!-- findings:end -->';
const readme = readFileSync('README.md', 'utf8');
const findings = readFileSync('results/findings.md', 'utf8').trimEnd();
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) {
  console.error(`README.md has no ${START} ... ${END} block`);
  process.exit(2);
}
const startEnd = readme.indexOf('-->', a) + 3; // the start marker may carry a note
const next = `${readme.slice(0, startEnd)}\n${findings}\n${readme.slice(b)}`;
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md findings differ from results/findings.md: run node scripts/sync-readme-findings.mjs');
    process.exit(1);
  }
} else writeFileSync('README.md', next);
