#!/usr/bin/env -S node --max-semi-space-size=1 --single-threaded --no-opt --expose-gc
// Entry point of the rsync-live command: runs the compiled CLI as bundled by build/bundle-cli.mjs (`npm run
// build` writes dist/; the bundle is what keeps a long-running watch small, see that file).
// The V8 flags on the first line keep a long-running watch small (docs/benchmarks.md, "Memory"): a 1 MiB young
// generation instead of 16 MiB and no V8 worker threads; ~110 MB -> ~75 MB RSS watching 10,000 directories.
// --no-opt leaves out V8's optimizing compiler (TurboFan): its code is ~4 MB of the node binary that stays
// resident once used, and with --single-threaded it compiled on the main thread; the baseline compiler
// (Sparkplug) still runs hot code. --expose-gc lets the command collect once after each full sync
// (electron/engine/release-memory.ts), never on a timer.
// (--optimize-for-size saved ~5 MB more, but only through a compacting GC 8 s after start-up: ~0.07 CPU-s in
// the idle window; and it made chokidar and fs.watch start 2-9 times slower.) A pair that watches through
// chokidar runs the command again without these flags (electron/cli/heap-flags.ts). They apply when the
// command runs as `rsync-live` (this file executed); `node bin/rsync-live.js` runs without them unless
// given on node's command line.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/electron/cli-bundle/main.js', import.meta.url);
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
