#!/usr/bin/env node
// Entry point of the rsync-live command: runs the compiled CLI (`npm run build` writes dist/).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/electron/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write(
    'rsync-live: the program is not built yet: run `npm run build` in the rsync-live folder first\n',
  );
  process.exit(1);
}
const { main } = await import(compiled.href);
const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  isTTY: Boolean(process.stdout.isTTY),
});
process.exitCode = code;
