// Preload (node --import ./scripts/trace-modules.mjs ...) that appends every module file the process loads to
// $TRACE_FILE: ESM imports through a resolve hook, CommonJS ones from require.cache at exit. Used by
// scripts/pack-gpu-check.sh to carry only the node_modules files the GPU check needs.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.TRACE_FILE;
if (file) {
  const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(file)}, r.url + '\\n');
  return r;
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(file, `${Object.keys(require.cache).join('\n')}\n`));
}
