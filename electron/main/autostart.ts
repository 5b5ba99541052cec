// Start at login on Linux desktops: writes or removes the XDG autostart entry
// $XDG_CONFIG_HOME/autostart/rsync-live.desktop (default ~/.config/autostart) whose Exec runs the app hidden in
// the tray, and reads whether it is enabled. Exec follows the Desktop Entry quoting rules. Plain node:fs, no
// electron: main.ts passes the command line (autostartCommand) and unit tests pass a temporary XDG_CONFIG_HOME.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const AUTOSTART_FILE = 'rsync-live.desktop';
/** The app starts in the tray, without its window, when given this argument. */
export const HIDDEN_ARG = '--hidden';

export interface AutostartOptions {
  /** The command line to run (argv, unquoted). */
  exec: readonly string[];
  env?: NodeJS.ProcessEnv;
  homedir?: string;
  name?: string;
  comment?: string;
  /** Icon name or absolute path. */
  icon?: string;
}

/** $XDG_CONFIG_HOME/autostart, or ~/.config/autostart when it is unset or not absolute (as the spec says). */
export function autostartDir(env: NodeJS.ProcessEnv = process.env, homedir: string = os.homedir()): string {
  const configHome = env.XDG_CONFIG_HOME;
  const base =
    configHome && path.isAbsolute(configHome) ? configHome : path.join(env.HOME || homedir, '.config');
  return path.join(base, 'autostart');
}

/** Characters that force an Exec argument into double quotes (Desktop Entry spec, "The Exec key"). */
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * Quotes one argument for Exec: reserved characters → double quotes, with `"`, `` ` ``, `$` and `\` escaped by
 * a backslash inside them; `%` is doubled (field codes).
 */
export function quoteExecArgument(argument: string): string {
  const quoted =
    argument === '' || RESERVED.test(argument) ? `"${argument.replace(/["`$\\]/g, '\\$&')}"` : argument;
  return quoted.replaceAll('%', '%%');
}

/** Escapes a value of type string (applied to Exec after quoting, so a literal backslash becomes four). */
export function escapeStringValue(value: string): string {
  return value.replace(
    /[\\\n\t\r]/g,
    (char) => ({ '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[char] ?? char,
  );
}

export function execValue(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('the autostart command line is empty');
  return escapeStringValue(argv.map(quoteExecArgument).join(' '));
}

export function desktopEntry(options: AutostartOptions): string {
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${escapeStringValue(options.name ?? 'Rsync Live')}`,
    `Comment=${escapeStringValue(options.comment ?? 'Keep folders mirrored to rsync daemons')}`,
    `Exec=${execValue(options.exec)}`,
    ...(options.icon ? [`Icon=${escapeStringValue(options.icon)}`] : []),
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    'Hidden=false',
    'NoDisplay=false',
  ];
  return `${lines.join('\n')}\n`;
}

/** Reads the [Desktop Entry] group's keys (no locale handling: only the plain keys matter here). */
export function parseDesktopEntry(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  let inEntry = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inEntry = line === '[Desktop Entry]';
      continue;
    }
    const equals = line.indexOf('=');
    if (!inEntry || equals < 0) continue;
    keys.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return keys;
}

/**
 * The command line for the autostart entry: the AppImage file itself when running from one (process.execPath
 * is inside a temporary mount), the installed executable when packaged, `electron <app dir>` in development.
 */
export function autostartCommand(options: {
  execPath: string;
  isPackaged: boolean;
  appPath: string;
  env?: NodeJS.ProcessEnv;
}): string[] {
  const appImage = options.env?.APPIMAGE;
  if (appImage) return [appImage, HIDDEN_ARG];
  if (options.isPackaged) return [options.execPath, HIDDEN_ARG];
  return [options.execPath, options.appPath, HIDDEN_ARG];
}

export class Autostart {
  readonly file: string;
  readonly #options: AutostartOptions;

  constructor(options: AutostartOptions) {
    this.#options = options;
    this.file = path.join(autostartDir(options.env, options.homedir), AUTOSTART_FILE);
  }

  /** The entry exists and is not switched off (Hidden=true or X-GNOME-Autostart-enabled=false). */
  async isEnabled(): Promise<boolean> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const keys = parseDesktopEntry(text);
    if (!keys.has('Exec')) return false;
    return keys.get('Hidden') !== 'true' && keys.get('X-GNOME-Autostart-enabled') !== 'false';
  }

  async enable(): Promise<void> {
    const directory = path.dirname(this.file);
    await fs.mkdir(directory, { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(temporary, desktopEntry(this.#options), { mode: 0o644 });
    await fs.rename(temporary, this.file);
  }

  async disable(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }

  async set(enabled: boolean): Promise<void> {
    if (enabled) await this.enable();
    else await this.disable();
  }
}
