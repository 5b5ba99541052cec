// Test helper: owns real `rsync --daemon` processes on 127.0.0.1 for end-to-end tests — their temp dirs,
// config/secrets/password files, port choice, start/stop/restart (outage simulation) and cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface DaemonModuleOptions {
  /** Module name; default `data` for the first module, `data<i>` for the others. */
  name?: string;
  readOnly?: boolean;
  /** Directory served by the module; default `<tempdir>/modules/<name>`. Created if missing, never deleted. */
  path?: string;
  /** Value of `refuse options`, e.g. `delete checksum`. */
  refuseOptions?: string;
  /** Extra module parameters, written verbatim as `key = value`. */
  extra?: Record<string, string>;
}

export interface StartDaemonOptions {
  modules?: DaemonModuleOptions[];
  /** Default `backup`. */
  user?: string;
  /** Default: 16 random bytes as hex. */
  password?: string;
  /** Fixed port (e.g. to reuse a port); default: a free port chosen by the OS. */
  port?: number;
  /** Adds `socket options = TCP_NODELAY`. */
  socketNodelay?: boolean;
  /** Global `rsync --daemon` bind/readiness timeout per attempt, ms. Default 5000. */
  startTimeoutMs?: number;
  /**
   * An older rsync release to run as the daemon (`3.1.2`, `3.1.3`, `3.2.3`), built into the cache by
   * `.ci/run` (see oldRsyncBinary); default: the system rsync (or RSYNC_LIVE_TEST_RSYNC).
   */
  version?: string;
}

/** The versions `.ci/run` builds from ../shared/rsync-src for the compatibility suite. */
export const OLD_RSYNC_VERSIONS = ['3.1.2', '3.1.3', '3.2.3'] as const;

/** Where built releases live: $RSYNC_LIVE_RSYNC_CACHE or /var/cache/rsync-live-test, one rsync-VERSION each. */
export function rsyncCacheDir(): string {
  return process.env['RSYNC_LIVE_RSYNC_CACHE'] ?? '/var/cache/rsync-live-test';
}

/** The binary of a built release (it may not exist: see oldRsyncMissing). */
export function oldRsyncBinary(version: string): string {
  return path.join(rsyncCacheDir(), `rsync-${version}`, 'bin', 'rsync');
}

/**
 * Null when the release is built; else how to build it. Under CI=true a missing build is an error (tests must
 * not skip silently there); locally the caller may skip with this message.
 */
export function oldRsyncMissing(version: string): string | null {
  if (existsSync(oldRsyncBinary(version))) return null;
  return `rsync ${version} is not built at ${oldRsyncBinary(version)}: run .ci/run, or \`ac_cv_func_lchmod=no ../shared/rsync-src/build.sh ${version} ${path.dirname(path.dirname(oldRsyncBinary(version)))}\` (needs gcc, make, autoconf, automake; ~1 min)`;
}

export interface RsyncDaemon {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** First module's name. */
  readonly moduleName: string;
  /** First module's directory on disk. */
  readonly modulePath: string;
  readonly modulePaths: Record<string, string>;
  /** The daemon's private temp dir (config, secrets, log, pid, default module dirs). */
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** Client-side 0600 file holding the password, for `--password-file`. */
  readonly passwordFile: string;
  /** Whether the daemon process is currently running. */
  readonly running: boolean;
  /** `rsync://user@127.0.0.1:PORT/module[/sub]`; module defaults to the first module. */
  url(module?: string, sub?: string): string;
  /** Current daemon log content ('' if none yet). */
  readLog(): Promise<string>;
  /**
   * Signal the daemon's process group (in-flight connections die too): SIGTERM by default, SIGKILL after 2 s;
   * `{ signal: 'SIGKILL' }` simulates a crash (and skips rsync's ~400 ms SIGTERM exit delay). Waits until the
   * process has exited and the port refuses connections. No-op if not running.
   */
  stop(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** (Re)start on the same port with the same modules. No-op if running. */
  start(): Promise<void>;
  /** Rewrite rsyncd.conf; the daemon re-reads it on every new connection, so no restart is needed. */
  setReadOnly(module: string, ro: boolean): Promise<void>;
  /** stop() and remove the temp dir. Idempotent. */
  dispose(): Promise<void>;
}

const HOST = '127.0.0.1';
const RSYNC_BIN = process.env['RSYNC_LIVE_TEST_RSYNC'] ?? 'rsync';
const START_ATTEMPTS = 5;
const KILL_GRACE_MS = 2_000;

// ---------- leftover-daemon safety nets ----------
// 1. A process 'exit' hook kills live daemons and removes their dirs on a normal exit.
// 2. Vitest stops fork workers with SIGTERM (SIGKILL 500 ms later), which skips 'exit' hooks. So a tiny
//    detached watchdog process holds a pipe from us; when the pipe closes (we died, however that happened) it
//    SIGKILLs the registered daemon process groups and removes their dirs.

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
let watchdog: ChildProcess | undefined;

const WATCHDOG_SCRIPT = `
const { rmSync } = require('node:fs');
const pids = new Set(), dirs = new Set();
let buf = '', done = false;
const cleanup = () => {
  if (done) return;
  done = true;
  for (const pid of pids) { try { process.kill(-pid, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, 200);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    try {
      const m = JSON.parse(line);
      if (m.op === 'pid') pids.add(m.pid); else if (m.op === 'unpid') pids.delete(m.pid);
      else if (m.op === 'dir') dirs.add(m.dir); else if (m.op === 'undir') dirs.delete(m.dir);
    } catch {}
  }
});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
`;

function tellWatchdog(
  msg: { op: 'pid' | 'unpid'; pid: number } | { op: 'dir' | 'undir'; dir: string },
): void {
  if (watchdog === undefined) {
    try {
      watchdog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true, // not in our process group: survives a Ctrl-C/group kill long enough to clean up
      });
    } catch {
      return;
    }
    watchdog.on('error', () => {});
    watchdog.stdin?.on('error', () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  if (watchdog.stdin?.writable) watchdog.stdin.write(`${JSON.stringify(msg)}\n`);
}

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (child.pid !== undefined) tellWatchdog({ op: 'pid', pid: child.pid });
}

function untrackChild(child: ChildProcess): void {
  if (!liveChildren.delete(child)) return;
  if (child.pid !== undefined) tellWatchdog({ op: 'unpid', pid: child.pid });
}

function trackDir(dir: string): void {
  liveDirs.add(dir);
  tellWatchdog({ op: 'dir', dir });
}

function untrackDir(dir: string): void {
  if (liveDirs.delete(dir)) tellWatchdog({ op: 'undir', dir });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // The daemon is spawned detached (own process group), so -pid also reaches its per-connection children.
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // No such group: fall back to the child itself (a no-op once it has exited, never a reused pid).
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

// ---------- small utilities ----------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertConfValue(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new Error(`rsync-daemon helper: ${what} must not contain newlines/NUL`);
}

export async function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** True if something accepts TCP connections on HOST:port. */
function canConnect(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Linux only: does `pid` own the LISTEN socket on 127.0.0.1:port? Returns undefined when /proc can't tell
 * (non-Linux), so the caller falls back to trusting the connect probe. Guards against mistaking a foreign
 * listener that grabbed "our" port for our daemon.
 */
async function pidOwnsListener(pid: number, port: number): Promise<boolean | undefined> {
  let table: string;
  try {
    table = await readFile('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (local === undefined || cols[3] !== '0A' || !local.endsWith(`:${portHex}`)) continue;
    if (cols[9] !== undefined) inodes.add(cols[9]);
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const link = await readlink(`/proc/${pid}/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] !== undefined && inodes.has(m[1])) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function readFrom(file: string, offset: number): Promise<string> {
  try {
    return (await readFile(file)).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

class StartError extends Error {
  constructor(
    message: string,
    readonly bindConflict: boolean,
  ) {
    super(message);
  }
}

// ---------- the daemon ----------

interface ModuleState {
  name: string;
  path: string;
  readOnly: boolean;
  refuseOptions: string | undefined;
  extra: Record<string, string>;
}

class Daemon implements RsyncDaemon {
  readonly host = HOST;
  port = 0;
  readonly configFile: string;
  readonly logFile: string;
  readonly passwordFile: string;
  private readonly secretsFile: string;
  private readonly pidFile: string;
  private child: ChildProcess | undefined;
  private childExit: Promise<void> | undefined;
  private disposed = false;

  constructor(
    readonly dir: string,
    readonly user: string,
    readonly password: string,
    private readonly modules: ModuleState[],
    private readonly socketNodelay: boolean,
    private readonly startTimeoutMs: number,
    private readonly binary: string,
  ) {
    this.configFile = path.join(dir, 'rsyncd.conf');
    this.logFile = path.join(dir, 'rsyncd.log');
    this.passwordFile = path.join(dir, 'client.password');
    this.secretsFile = path.join(dir, 'rsyncd.secrets');
    this.pidFile = path.join(dir, 'rsyncd.pid');
  }

  get moduleName(): string {
    return this.modules[0]!.name;
  }

  get modulePath(): string {
    return this.modules[0]!.path;
  }

  get modulePaths(): Record<string, string> {
    return Object.fromEntries(this.modules.map((m) => [m.name, m.path]));
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  url(module?: string, sub?: string): string {
    const mod = module ?? this.moduleName;
    const tail = sub === undefined || sub === '' ? '' : `/${sub.replace(/^\/+/, '')}`;
    return `rsync://${this.user}@${HOST}:${this.port}/${mod}${tail}`;
  }

  readLog(): Promise<string> {
    return readFrom(this.logFile, 0);
  }

  async writeFiles(): Promise<void> {
    await writeFile(this.secretsFile, `${this.user}:${this.password}\n`, { mode: 0o600 });
    await chmod(this.secretsFile, 0o600);
    await writeFile(this.passwordFile, `${this.password}\n`, { mode: 0o600 });
    await chmod(this.passwordFile, 0o600);
    for (const m of this.modules) await mkdir(m.path, { recursive: true });
  }

  private renderConfig(): string {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const lines = [
      '# Generated by test/helpers/rsync-daemon.ts',
      `address = ${HOST}`,
      `port = ${this.port}`,
      `pid file = ${this.pidFile}`,
      `log file = ${this.logFile}`,
      // Without chroot the daemon "sanitizes" absolute symlink targets (strips the leading "/") even with
      // munge symlinks off; a root daemon chroots, as production servers should, and keeps links exact.
      `use chroot = ${isRoot ? 'yes' : 'no'}`,
      'reverse lookup = no',
      'munge symlinks = no',
      // A non-root daemon cannot switch uid; it then simply runs as the invoking user.
      ...(isRoot ? ['uid = root', 'gid = root'] : []),
      ...(this.socketNodelay ? ['socket options = TCP_NODELAY'] : []),
    ];
    for (const m of this.modules) {
      lines.push(
        '',
        `[${m.name}]`,
        `    path = ${m.path}`,
        `    read only = ${m.readOnly ? 'yes' : 'no'}`,
        `    auth users = ${this.user}`,
        `    secrets file = ${this.secretsFile}`,
      );
      if (m.refuseOptions !== undefined) lines.push(`    refuse options = ${m.refuseOptions}`);
      for (const [k, v] of Object.entries(m.extra)) lines.push(`    ${k} = ${v}`);
    }
    return lines.join('\n') + '\n';
  }

  /** Atomic replace, so a connection re-reading the config never sees a half-written file. */
  private async writeConfig(): Promise<void> {
    const tmp = `${this.configFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, this.renderConfig(), { mode: 0o600 });
    await rename(tmp, this.configFile);
  }

  async setReadOnly(module: string, ro: boolean): Promise<void> {
    const m = this.modules.find((x) => x.name === module);
    if (m === undefined) throw new Error(`rsync-daemon helper: unknown module ${JSON.stringify(module)}`);
    m.readOnly = ro;
    await this.writeConfig();
  }

  /** First start: port chosen by the OS (or `fixedPort`); later starts reuse this.port. */
  async start(fixedPort?: number): Promise<void> {
    if (this.disposed) throw new Error('rsync-daemon helper: daemon was disposed');
    if (this.child !== undefined) return;
    const keepPort = this.port !== 0 ? this.port : fixedPort;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      this.port = keepPort ?? (await pickFreePort());
      try {
        await this.spawnOnce();
        return;
      } catch (err) {
        lastErr = err;
        if (!(err instanceof StartError) || !err.bindConflict) break;
        await sleep(100 * attempt);
      }
    }
    if (keepPort === undefined) this.port = 0;
    throw lastErr;
  }

  private async spawnOnce(): Promise<void> {
    await this.writeConfig();
    await rm(this.pidFile, { force: true });
    const logOffset = await fileSize(this.logFile);
    const child = spawn(this.binary, ['--daemon', '--no-detach', `--config=${this.configFile}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: stop() can also kill in-flight per-connection children
    });
    let output = '';
    const collect = (b: Buffer): void => {
      if (output.length < 64_000) output += b.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exitInfo: string | undefined;
    this.childExit = new Promise<void>((resolve) => {
      const finish = (info: string): void => {
        exitInfo ??= info;
        untrackChild(child);
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', (code, signal) =>
        finish(signal !== null ? `signal ${signal}` : `exit code ${code}`),
      );
      child.once('error', (err) => finish(`spawn error: ${err.message}`));
    });
    trackChild(child);
    this.child = child;

    const fail = async (why: string, foreignListener: boolean): Promise<never> => {
      await this.killChild('SIGKILL');
      const log = await readFrom(this.logFile, logOffset);
      const conflict =
        foreignListener || /bind\(\) failed|unable to bind|Address already in use/i.test(log + output);
      throw new StartError(
        `rsync daemon failed to start on ${HOST}:${this.port}: ${why}\n` +
          `--- daemon log ---\n${log}--- daemon stdout/stderr ---\n${output}`,
        conflict,
      );
    };

    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (exitInfo !== undefined) return fail(`daemon exited early (${exitInfo})`, false);
      if (child.pid !== undefined && (await canConnect(this.port))) {
        // Make sure the listener is ours, not a process that grabbed the port between pick and bind.
        const owned = await pidOwnsListener(child.pid, this.port);
        if (exitInfo !== undefined) return fail(`daemon exited early (${exitInfo})`, false);
        if (owned === false) return fail('the port is already in use by another process', true);
        return;
      }
      if (Date.now() > deadline) {
        return fail(`port not accepting connections after ${this.startTimeoutMs} ms`, false);
      }
      await sleep(25);
    }
  }

  /** SIGTERM the process group, SIGKILL after the grace period, wait for exit. */
  private async killChild(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    const exited = this.childExit;
    if (child === undefined || exited === undefined) return;
    killGroup(child, signal);
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    // Per-connection children share the process group; make sure none linger.
    killGroup(child, 'SIGKILL');
  }

  async stop(opts: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    if (this.child === undefined) return;
    await this.killChild(opts.signal);
    const deadline = Date.now() + 5_000;
    while (await canConnect(this.port, 250)) {
      if (Date.now() > deadline) {
        throw new Error(`rsync daemon stopped but ${HOST}:${this.port} still accepts connections`);
      }
      await sleep(25);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    try {
      await this.stop();
    } finally {
      this.disposed = true;
      await rm(this.dir, { recursive: true, force: true });
      untrackDir(this.dir);
    }
  }
}

/** Start a real rsync daemon on 127.0.0.1 with one or more auth-protected modules. */
export async function startRsyncDaemon(opts: StartDaemonOptions = {}): Promise<RsyncDaemon> {
  installExitHook();
  if (opts.version !== undefined) {
    const missing = oldRsyncMissing(opts.version);
    if (missing) throw new Error(`rsync-daemon helper: ${missing}`);
  }
  const user = opts.user ?? 'backup';
  const password = opts.password ?? randomBytes(16).toString('hex');
  if (!/^[^\s:#]+$/.test(user)) throw new Error(`rsync-daemon helper: invalid user ${JSON.stringify(user)}`);
  assertConfValue('password', password);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-daemon-'));
  trackDir(dir);
  try {
    const specs = opts.modules !== undefined && opts.modules.length > 0 ? opts.modules : [{}];
    const modules: ModuleState[] = specs.map((m, i) => {
      const name = m.name ?? (i === 0 ? 'data' : `data${i}`);
      if (!/^[^\s\][/]+$/.test(name))
        throw new Error(`rsync-daemon helper: invalid module name ${JSON.stringify(name)}`);
      const modPath = path.resolve(m.path ?? path.join(dir, 'modules', name));
      assertConfValue('module path', modPath);
      if (m.refuseOptions !== undefined) assertConfValue('refuseOptions', m.refuseOptions);
      for (const [k, v] of Object.entries(m.extra ?? {})) {
        assertConfValue('extra key', k);
        assertConfValue('extra value', v);
      }
      return {
        name,
        path: modPath,
        readOnly: m.readOnly ?? false,
        refuseOptions: m.refuseOptions,
        extra: { ...m.extra },
      };
    });
    if (new Set(modules.map((m) => m.name)).size !== modules.length) {
      throw new Error('rsync-daemon helper: duplicate module names');
    }
    const daemon = new Daemon(
      dir,
      user,
      password,
      modules,
      opts.socketNodelay ?? false,
      opts.startTimeoutMs ?? 5_000,
      opts.version === undefined ? RSYNC_BIN : oldRsyncBinary(opts.version),
    );
    await daemon.writeFiles();
    await daemon.start(opts.port);
    return daemon;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    untrackDir(dir);
    throw err;
  }
}
