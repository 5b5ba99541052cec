// `npm start` (after `npm run build`): runs the desktop app with the Electron binary of the `electron` package.
// When that binary is missing it tries the package's install.js once; when Electron still cannot be had (no
// download possible) or there is no graphical display, it prints one line saying so and runs the headless UI
// instead: `node bin/rsync-live.js serve --no-open`, opening the address it prints with xdg-open when there
// is a display and xdg-open exists (otherwise the address is just printed). Arguments after `npm start --` go
// to Electron.
import { spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import readline from 'node:readline';
import { setTimeout, clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const INSTALL_TIMEOUT_MS = 120_000;

function firstLine(text) {
  return String(text).trim().split('\n')[0] ?? '';
}

/** The binary path from require('electron') (the package's index.js), or why there is none. */
function findElectron() {
  try {
    const entry = require.resolve('electron');
    delete require.cache[entry];
    const binary = require('electron');
    if (typeof binary === 'string' && fs.existsSync(binary)) return { binary };
    return { reason: `${binary} does not exist` };
  } catch (error) {
    return { reason: firstLine(error instanceof Error ? error.message : error) };
  }
}

/** Runs node_modules/electron/install.js once (it downloads the binary); resolves with a failure reason or null. */
function installElectron() {
  let script;
  try {
    script = path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return Promise.resolve('the electron package is not installed');
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      cwd: path.dirname(script),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve(`install.js did not finish within ${INSTALL_TIMEOUT_MS / 1000} s`);
    }, INSTALL_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve(null);
      const lines = output
        .split('\n')
        .map((line) => line.trim())
        .filter(
          (line) =>
            /error|fail|ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT|HTTP/i.test(line) && !line.startsWith('at '),
        );
      resolve(lines[0] ?? `install.js exited with code ${code}`);
    });
  });
}

function hasDisplay(env) {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

function onPath(command, env) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
}

function runElectron(binary, args) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [root, ...args], { cwd: root, stdio: 'inherit', env });
  forwardSignals(child);
  child.on('error', (error) => {
    console.error(`rsync-live: could not start Electron (${binary}): ${error.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

function runHeadless() {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'rsync-live.js'), 'serve', '--no-open'], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  forwardSignals(child);
  let opened = false;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    const url = /https?:\/\/\S+/.exec(line)?.[0];
    if (!url || opened) return;
    opened = true;
    if (hasDisplay(process.env) && onPath('xdg-open', process.env)) {
      const opener = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
      opener.on('error', () => console.log(`Open ${url} in a browser.`));
      opener.unref();
    } else {
      console.log(`Open ${url} in a browser.`);
    }
  });
  child.on('error', (error) => {
    console.error(`rsync-live: could not start the headless UI: ${error.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

let found = findElectron();
if (!found.binary) {
  const failure = await installElectron();
  const again = findElectron();
  found = again.binary ? again : { reason: failure ?? again.reason };
}
if (!found.binary) {
  console.log(
    `Electron's runtime could not be downloaded here (${found.reason}); starting the headless UI instead`,
  );
  runHeadless();
} else if (!hasDisplay(process.env)) {
  console.log(
    'There is no graphical display here (DISPLAY and WAYLAND_DISPLAY are unset); starting the headless UI instead',
  );
  runHeadless();
} else {
  runElectron(found.binary, process.argv.slice(2));
}
