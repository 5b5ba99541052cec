#!/usr/bin/env -S node --max-semi-space-size=1 --single-threaded --optimize-for-size
// Entry point of the rsync-live command: runs the compiled CLI (`npm run build` writes dist/).
// The V8 flags on the first line keep a long-running watch small (docs/benchmarks.md, "Memory"): a 1 MiB young
// generation instead of 16 MiB, no V8 worker threads, and smaller code; ~110 MB -> ~70 MB RSS watching 10,000
// directories. They apply when the command runs as `rsync-live` (this file executed); `node bin/rsync-live.js`
// runs without them unless given on node's command line.
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
