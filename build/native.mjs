// Builds the native inotify addon (native/inotify) with node-gyp, offline, against the headers of the Node
// that runs this script, and copies it to dist/native/rsync_live_inotify.node, where the engine's loader
// looks for it (electron-builder unpacks it from the asar: build/electron-builder.yml, asarUnpack).
// Part of `npm run build`, never an install script (.npmrc ignores those). Without a compiler the build warns
// and goes on (the engine then watches through fs.watch); with CI=true a failed native build fails the build.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'native', 'inotify');
const output = path.join(root, 'dist', 'native', 'rsync_live_inotify.node');
const strict = process.env.CI === 'true' || process.env.CI === '1';

/** node-gyp as bundled with npm: npm names it to scripts it runs; otherwise it sits beside this Node's npm. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(
      process.execPath,
      '..',
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    path.resolve(
      process.execPath,
      '..',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((candidate) => candidate && fs.existsSync(candidate)) ?? null;
}

/** The installed headers of this Node (<prefix>/include/node), so node-gyp downloads nothing. */
function findNodeDir() {
  const prefix = path.resolve(process.execPath, '..', '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function fail(reason) {
  if (strict) {
    console.error(`native inotify addon: build failed (${reason}); CI=true, so the build fails.`);
    process.exit(1);
  }
  console.warn(
    `warning: native inotify addon not built (${reason}). The engine will watch through fs.watch instead ` +
      '(no close-write, move or overflow events). Install a C compiler, make and python3 ' +
      '(Debian: apt-get install build-essential python3) and run `npm run build` again.',
  );
  process.exit(0);
}

fs.rmSync(output, { force: true });
const nodeGyp = findNodeGyp();
if (!nodeGyp) fail('node-gyp, bundled with npm, was not found');
const nodeDir = findNodeDir();
if (!nodeDir)
  fail(`no Node headers (include/node/node_api.h) under ${path.resolve(process.execPath, '..', '..')}`);
const result = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--directory', source, `--nodedir=${nodeDir}`, '--loglevel=warn'],
  { stdio: 'inherit', cwd: source },
);
if (result.error) fail(result.error.message);
if (result.status !== 0) fail(`node-gyp exited with ${result.status ?? result.signal}`);
const built = path.join(source, 'build', 'Release', 'rsync_live_inotify.node');
if (!fs.existsSync(built)) fail(`node-gyp reported success but ${built} is missing`);
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.copyFileSync(built, output);
console.log(`native inotify addon: ${path.relative(root, output)}`);
