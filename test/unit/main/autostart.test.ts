// The XDG autostart entry in a temporary XDG_CONFIG_HOME: file content, Exec quoting (paths with spaces and
// the characters the Desktop Entry spec reserves, checked by parsing Exec back the way launchers do), enable,
// disable, and what counts as enabled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTOSTART_FILE,
  Autostart,
  HIDDEN_ARG,
  autostartCommand,
  autostartDir,
  desktopEntry,
  execValue,
  parseDesktopEntry,
  quoteExecArgument,
} from '../../../electron/main/autostart.js';

/** Exec as a launcher reads it: string unescaping first, then the quoting rules, then %% → %. */
function parseExec(value: string): string[] {
  let unescaped = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === '\\' && i + 1 < value.length) {
      const next = value[++i] as string;
      unescaped +=
        ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[next] ?? `\\${next}`;
    } else {
      unescaped += char;
    }
  }
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < unescaped.length; i++) {
    const char = unescaped[i] as string;
    if (inQuotes) {
      if (char === '\\' && /["`$\\]/.test(unescaped[i + 1] ?? '')) current += unescaped[++i];
      else if (char === '"') inQuotes = false;
      else current += char;
    } else if (char === '"') {
      inQuotes = true;
      started = true;
    } else if (char === ' ') {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (inQuotes) throw new Error(`unterminated quote in ${value}`);
  if (started) args.push(current);
  return args.map((arg) => arg.replaceAll('%%', '%'));
}

let configHome: string;
const env = (): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: configHome, HOME: '/nonexistent-home' });

beforeEach(() => {
  configHome = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync live xdg '));
});
afterEach(() => {
  fs.rmSync(configHome, { recursive: true, force: true });
});

describe('Exec quoting', () => {
  it('leaves plain arguments alone and quotes a path with spaces', () => {
    expect(quoteExecArgument('/usr/bin/rsync-live')).toBe('/usr/bin/rsync-live');
    expect(quoteExecArgument('/opt/Rsync Live/rsync-live')).toBe('"/opt/Rsync Live/rsync-live"');
    expect(execValue(['/opt/Rsync Live/rsync-live', HIDDEN_ARG])).toBe(
      '"/opt/Rsync Live/rsync-live" --hidden',
    );
  });

  it('escapes ", `, $ and \\ inside quotes (and the backslash again as a string value), doubles %', () => {
    expect(quoteExecArgument('a"b')).toBe('"a\\"b"');
    expect(quoteExecArgument('$HOME')).toBe('"\\$HOME"');
    expect(quoteExecArgument('50%')).toBe('50%%');
    expect(quoteExecArgument('')).toBe('""');
    // One literal backslash is four in the file, as the spec says.
    expect(execValue(['C:\\x'])).toBe('"C:\\\\\\\\x"');
  });

  it('round-trips awkward paths through a spec parser', () => {
    const argv = [
      '/home/me/My Apps/Rsync Live/rsync-live',
      '/home/me/dev/rsync live (copy)/app',
      'it\'s "quoted" $HOME `cmd` back\\slash 100% #1 ; & | < > * ? ~',
      HIDDEN_ARG,
    ];
    expect(parseExec(execValue(argv))).toEqual(argv);
  });

  it('refuses an empty command line', () => {
    expect(() => execValue([])).toThrow(/empty/);
  });
});

describe('autostartDir', () => {
  it('uses $XDG_CONFIG_HOME/autostart, or ~/.config/autostart when unset or relative', () => {
    expect(autostartDir({ XDG_CONFIG_HOME: '/x/conf' }, '/home/me')).toBe('/x/conf/autostart');
    expect(autostartDir({}, '/home/me')).toBe('/home/me/.config/autostart');
    expect(autostartDir({ XDG_CONFIG_HOME: 'relative/conf', HOME: '/home/you' }, '/home/me')).toBe(
      '/home/you/.config/autostart',
    );
  });
});

describe('autostartCommand', () => {
  it('runs the AppImage file, the installed binary, or electron with the app folder', () => {
    const base = { execPath: '/opt/Rsync Live/rsync-live', appPath: '/app', isPackaged: true };
    expect(autostartCommand({ ...base, env: { APPIMAGE: '/home/me/Apps/Rsync Live.AppImage' } })).toEqual([
      '/home/me/Apps/Rsync Live.AppImage',
      HIDDEN_ARG,
    ]);
    expect(autostartCommand({ ...base, env: {} })).toEqual(['/opt/Rsync Live/rsync-live', HIDDEN_ARG]);
    expect(
      autostartCommand({
        execPath: '/w/node_modules/electron/dist/electron',
        appPath: '/w',
        isPackaged: false,
      }),
    ).toEqual(['/w/node_modules/electron/dist/electron', '/w', HIDDEN_ARG]);
  });
});

describe('Autostart', () => {
  const exec = ['/opt/Rsync Live/rsync-live', HIDDEN_ARG];

  it('writes rsync-live.desktop under $XDG_CONFIG_HOME/autostart with the required keys', async () => {
    const autostart = new Autostart({ exec, env: env(), icon: 'rsync-live' });
    expect(autostart.file).toBe(path.join(configHome, 'autostart', AUTOSTART_FILE));
    expect(await autostart.isEnabled()).toBe(false);
    await autostart.enable();
    const text = fs.readFileSync(autostart.file, 'utf8');
    expect(text.startsWith('[Desktop Entry]\n')).toBe(true);
    const keys = parseDesktopEntry(text);
    expect(keys.get('Type')).toBe('Application');
    expect(keys.get('Name')).toBe('Rsync Live');
    expect(keys.get('Exec')).toBe('"/opt/Rsync Live/rsync-live" --hidden');
    expect(parseExec(keys.get('Exec') ?? '')).toEqual(exec);
    expect(keys.get('Icon')).toBe('rsync-live');
    expect(keys.get('X-GNOME-Autostart-enabled')).toBe('true');
    expect(keys.get('Hidden')).toBe('false');
    expect(keys.get('Terminal')).toBe('false');
    expect(await autostart.isEnabled()).toBe(true);
    expect(fs.readdirSync(path.dirname(autostart.file))).toEqual([AUTOSTART_FILE]);
  });

  it('removes the entry, and removing twice is fine', async () => {
    const autostart = new Autostart({ exec, env: env() });
    await autostart.set(true);
    await autostart.set(false);
    expect(fs.existsSync(autostart.file)).toBe(false);
    expect(await autostart.isEnabled()).toBe(false);
    await expect(autostart.disable()).resolves.toBeUndefined();
  });

  it('reads an entry switched off by the desktop (Hidden=true or X-GNOME-Autostart-enabled=false) as disabled', async () => {
    const autostart = new Autostart({ exec, env: env() });
    await autostart.enable();
    const text = fs.readFileSync(autostart.file, 'utf8');
    fs.writeFileSync(
      autostart.file,
      text.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'),
    );
    expect(await autostart.isEnabled()).toBe(false);
    fs.writeFileSync(autostart.file, text.replace('Hidden=false', 'Hidden=true'));
    expect(await autostart.isEnabled()).toBe(false);
    fs.writeFileSync(autostart.file, '[Other Group]\nExec=x\n');
    expect(await autostart.isEnabled()).toBe(false);
  });

  it('rewrites an existing entry with the current command line', async () => {
    await new Autostart({ exec: ['/old/path'], env: env() }).enable();
    const autostart = new Autostart({ exec, env: env() });
    await autostart.enable();
    expect(parseDesktopEntry(fs.readFileSync(autostart.file, 'utf8')).get('Exec')).toBe(
      '"/opt/Rsync Live/rsync-live" --hidden',
    );
  });

  it('desktopEntry escapes newlines in string values', () => {
    const text = desktopEntry({ exec: ['/x'], name: 'Rsync\nLive' });
    expect(text).toContain('Name=Rsync\\nLive\n');
  });
});
