// Bundles the compiled CLI (dist/electron/cli/main.js, written by tsc) and the packages it imports into
// dist/electron/cli-bundle/, which bin/rsync-live.js runs. Why (issue 15, docs/benchmarks.md "Memory"): node
// keeps every ES module it loaded for the life of the process, with a per-module cost on top of its source
// and code, and a `watch` loads ~300 of them (execa and zod alone ~200); bundled into a few files, with comments
// and indentation stripped and the source kept ASCII (V8 stores a source with one non-ASCII character at two
// bytes per character), the same code costs ~9 MB less RSS. Each command stays a chunk of its own, loaded by
// the dynamic import() in electron/cli/main.ts only when it runs: `watch` never loads the server or sersync.
// The output sits two levels below dist/, like dist/electron/cli/, so the paths the code finds from its own
// location (package.json, dist/native, renderer/dist) resolve the same. zod's messages in 40-odd languages
// (z.locales, which the CLI never uses: its messages are English, zod's default) are left out of the bundle:
// ~0.5 MB. Part of `npm run build`.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'electron', 'cli-bundle');

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: path.join(root, 'dist', 'electron', 'cli', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and comments only: names stay, so error messages and stack traces keep them.
  minifyWhitespace: true,
  charset: 'ascii',
  legalComments: 'none',
  // The addon is loaded at run time from dist/native (electron/engine/watcher/native-inotify.ts).
  external: ['*.node'],
  // CommonJS packages inside an ES module bundle call require() for node's own modules.
  banner: {
    js: "import { createRequire as __rsyncLiveRequire } from 'node:module'; const require = __rsyncLiveRequire(import.meta.url);",
  },
  plugins: [
    {
      name: 'zod-english-only',
      setup(bundler) {
        bundler.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
          contents: "export { default as en } from './en.js';",
          resolveDir: path.dirname(args.path),
          loader: 'js',
        }));
      },
    },
  ],
  logLevel: 'warning',
});
