#!/usr/bin/env node
// Entry point of the rsync-live command: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/electron/cli/main.js';

const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
