#!/usr/bin/env node
// Entry point of the `vanillabench` command: runs the compiled CLI (dist/src/cli.js).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('vanillabench: dist/src/cli.js is missing; run `npm run build` first\n');
  process.exit(1);
}
// `vanillabench ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import(cli.href);
// exitCode, not exit(): let piped stdout drain.
process.exitCode = await main(process.argv.slice(2));
