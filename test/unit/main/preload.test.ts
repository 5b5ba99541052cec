// The preload script as a sandboxed renderer runs it: compiled with tsconfig.preload.json's options to
// CommonJS, then executed as a function of (require, process, exports, module) whose require knows only
// `electron`, like Electron's sandbox. Checks what it exposes and that it uses the shared channel names.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type PreloadBridge } from '../../../electron/shared/api.js';

const root = path.resolve(import.meta.dirname, '../../..');
const source = path.join(root, 'electron/preload/preload.cts');

function compile(): string {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.preload.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.preload.json could not be read');
  expect(config.fileNames).toEqual([source]);
  const output = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    compilerOptions: { ...config.options, sourceMap: false },
    fileName: source,
  });
  return output.outputText;
}

type Listener = (event: unknown, ...args: unknown[]) => void;

function runSandboxed(code: string) {
  const required: string[] = [];
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Listener[]>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        return { ok: true, value: 'pong' };
      },
      on: (channel: string, listener: Listener) =>
        listeners.set(channel, [...(listeners.get(channel) ?? []), listener]),
      removeListener: (channel: string, listener: Listener) =>
        listeners.set(
          channel,
          (listeners.get(channel) ?? []).filter((known) => known !== listener),
        ),
    },
  };
  const sandboxRequire = (name: string): unknown => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name}`);
  };
  const exports = {};
  const run = new Function('require', 'process', 'exports', 'module', code) as (...args: unknown[]) => void;
  run(sandboxRequire, {}, exports, { exports });
  return { required, exposed, invoked, listeners };
}

describe('preload', () => {
  it('compiles to CommonJS that requires nothing but electron', () => {
    const code = compile();
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/^\s*export\s/m);
    expect([...code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1])).toEqual(['electron']);
  });

  it('exposes window.rsyncLive: call goes through the shared invoke channel', async () => {
    const { required, exposed, invoked } = runSandboxed(compile());
    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual(['rsyncLive']);
    const bridge = exposed.get('rsyncLive') as PreloadBridge;
    await expect(bridge.call('getState', {})).resolves.toEqual({ ok: true, value: 'pong' });
    expect(invoked).toEqual([[IPC_INVOKE_CHANNEL, 'getState', {}]]);
  });

  it('on() delivers (name, payload) from the shared event channel without the IPC event, and unsubscribes', () => {
    const { exposed, listeners } = runSandboxed(compile());
    const bridge = exposed.get('rsyncLive') as PreloadBridge;
    const received: unknown[][] = [];
    const off = bridge.on((name, payload) => received.push([name, payload]));
    const registered = listeners.get(IPC_EVENT_CHANNEL) ?? [];
    expect(registered).toHaveLength(1);
    registered[0]?.({ sender: 'secret ipc event' }, 'focusPair', { pairId: 'photos' });
    expect(received).toEqual([['focusPair', { pairId: 'photos' }]]);
    off();
    expect(listeners.get(IPC_EVENT_CHANNEL)).toEqual([]);
  });
});
