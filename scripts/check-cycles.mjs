#!/usr/bin/env node
/**
 * No import cycle in the source tree (run by `npm run lint`): every relative import of a .ts file under the given
 * folders (type-only imports too: a cycle of types is still two modules that cannot be read one without the other),
 * as TypeScript's own pre-processor lists them. Prints each cycle found, as a path of files, and exits 1.
 * Usage: node scripts/check-cycles.mjs [dir ...] (default: src)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src'];

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** file -> the files it imports (relative imports of .js names resolve to the .ts beside them) */
const graph = new Map();
for (const root of roots) {
  for (const file of files(root)) {
    const deps = ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.join(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    graph.set(file, [...new Set(deps)]);
  }
}

// depth-first search; a back edge to a file on the current path is a cycle
const state = new Map(); // file -> 'open' | 'done'
const cycles = [];
const stack = [];
function visit(file) {
  state.set(file, 'open');
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
    else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (cycles.length) {
  for (const c of cycles) console.error(`import cycle: ${c.join(' -> ')}`);
  process.exit(1);
}
console.log(`check-cycles: ${graph.size} files under ${roots.join(', ')}, no import cycle`);
