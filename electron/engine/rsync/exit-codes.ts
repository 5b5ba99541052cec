// Turns an rsync failure (exit code plus stderr) into one of a fixed set of error kinds with a message that
// says what happened, to which target, and what to do. The table follows rsync(1) and the daemon's @ERROR
// lines; a transient kind is retried with backoff, a config kind waits for the user.
import type { ErrorClass, ErrorKind } from '../../shared/state.js';

export interface Classified {
  kind: ErrorKind;
  class: ErrorClass;
  message: string;
}

export interface FailureContext {
  /** host::module/path or the directory, for messages. */
  target: string;
  user: string | null;
  exitCode: number | null;
  stderr: string;
  /** Set when the process could not be started (spawn error code, e.g. ENOENT). */
  spawnError?: string;
  /**
   * Options the capability probe found the server refusing (its daemon only resets the connection, so the
   * client's stderr cannot say which), with the release that has them when known and what the tool did.
   */
  refused?: { options: string[]; needs: string | null; instead: string };
}

/** Release that brought an option servers may lack (the daemon answers "unknown option" before it). */
export const OPTION_SINCE: Readonly<Record<string, string>> = {
  '--mkpath': 'rsync 3.2.3',
  '--modify-window=-1': 'rsync 3.1.3',
  '-@-1': 'rsync 3.1.3',
};

/** The message without its "retrying" promise: for one-shot runs (--once) and Test connection, which do not retry. */
export function withoutRetry(message: string): string {
  return message.replace(/[;,]? ?[Rr]etrying( them)?(?=( \()|$)/, '').replace(/; checking them again$/, '');
}

const EXIT_MEANINGS: Record<number, string> = {
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files or directories',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  6: 'daemon unable to append to its log file',
  10: 'error in socket I/O',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  20: 'received SIGUSR1 or SIGINT',
  21: 'some error returned by waitpid()',
  22: 'error allocating core memory buffers',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
};

export function exitMeaning(code: number | null): string {
  if (code === null) return 'killed by a signal';
  return EXIT_MEANINGS[code] ?? `unknown exit code ${code}`;
}

/** The first meaningful line rsync printed, for "rsync said: ..." tails. */
export function firstErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('rsync error:'));
  const marked = lines.find((line) => line.startsWith('@ERROR') || /error|failed|refused|denied/i.test(line));
  return (marked ?? lines[0] ?? '').slice(0, 400);
}

function said(stderr: string): string {
  const line = firstErrorLine(stderr);
  return line ? ` (rsync said: ${line})` : '';
}

export function classifyFailure(ctx: FailureContext): Classified {
  const { target, stderr, exitCode } = ctx;
  const user = ctx.user ?? 'nobody (no user given)';
  const make = (kind: ErrorKind, cls: ErrorClass, message: string): Classified => ({
    kind,
    class: cls,
    message,
  });

  if (ctx.spawnError === 'ENOENT') {
    return make(
      'rsync-missing',
      'config',
      'rsync is not installed on this machine: install it (apt-get install rsync) and retry',
    );
  }
  if (ctx.spawnError)
    return make('unknown', 'transient', `could not start rsync for ${target}: ${ctx.spawnError}; retrying`);

  if (ctx.refused) {
    const { options, needs, instead } = ctx.refused;
    const named = options.join(' ');
    return make(
      'option-refused',
      'config',
      `the rsync server of ${target} refuses ${named}${needs ? ` (needs ${needs} or newer)` : ''}: ${instead}`,
    );
  }
  if (/ABORTING due to invalid path from sender/.test(stderr)) {
    return make(
      'vanished',
      'transient',
      `the rsync server of ${target} (older than 3.2.3) stopped at a directory deleted during the transfer while entries below it were listed; sending the deletion again for the top-most deleted directory only`,
    );
  }

  if (
    /Permission denied \((publickey|password|keyboard-interactive)|Host key verification failed/.test(stderr)
  ) {
    const hostKey = /Host key verification failed/.test(stderr);
    return make(
      'auth-failed',
      'config',
      hostKey
        ? `the SSH host key of ${target} is unknown or changed: connect once with ssh to check and accept it`
        : `ssh login as ${user} on ${target} failed: set up key-based login (ssh-copy-id) or an ssh-agent; passwords cannot be typed here`,
    );
  }
  if (/@ERROR: auth failed/i.test(stderr)) {
    return make(
      'auth-failed',
      'config',
      `auth failed for user ${user} on ${target}: check the password and the module's "auth users" and "secrets file"`,
    );
  }
  const unknownModule = /@ERROR: Unknown module '([^']*)'/i.exec(stderr);
  if (unknownModule) {
    return make(
      'unknown-module',
      'config',
      `the server has no module named "${unknownModule[1]}" (${target}): check the module name; \`rsync rsync://HOST/\` lists the modules it offers`,
    );
  }
  if (/@ERROR: access denied/i.test(stderr)) {
    return make(
      'access-denied',
      'config',
      `the server denied access to ${target} from this host: allow this host in the module's "hosts allow"${said(stderr)}`,
    );
  }
  if (/@ERROR: max connections/i.test(stderr)) {
    return make(
      'too-many-connections',
      'transient',
      `${target} has reached its "max connections" limit; retrying (lower this target's rsync runs in flight: --concurrency N for watch, "concurrency" in the config file or the target's form; or raise "max connections" on the server)`,
    );
  }
  if (/module is read only/i.test(stderr)) {
    return make(
      'read-only',
      'transient',
      `the module on ${target} is read only: set "read only = no" for it on the server; retrying`,
    );
  }
  if (
    /refuse|unknown option/i.test(stderr) &&
    (exitCode === 4 || exitCode === 1 || exitCode === 2 || exitCode === 12 || exitCode === 5)
  ) {
    return make(
      'option-refused',
      'config',
      `the server refused an option rsync-live needs on ${target}${said(stderr)}: remove it from "refuse options" on the server, or turn off deletion propagation for this pair`,
    );
  }
  if (/No space left on device|Disk quota exceeded/i.test(stderr)) {
    return make(
      'disk-full',
      'transient',
      `the disk behind ${target} is full: free space on the server; retrying`,
    );
  }
  if (/@ERROR: chdir failed|@ERROR:/.test(stderr)) {
    return make(
      'bad-config',
      'config',
      `the server rejected the transfer to ${target}${said(stderr)}: fix the module's configuration on the server`,
    );
  }
  if (/Connection refused/i.test(stderr)) {
    return make(
      'connection-refused',
      'transient',
      `connection refused by ${target}: is the rsync daemon running and listening on that port? Retrying`,
    );
  }
  if (
    /No route to host|Network is unreachable|Name or service not known|Temporary failure in name resolution|getaddrinfo|Could not resolve/i.test(
      stderr,
    )
  ) {
    return make(
      'unreachable',
      'transient',
      `${target} is unreachable${said(stderr)}: check the host name and the network; retrying`,
    );
  }
  if (exitCode === 30 || exitCode === 35 || /timed? ?out/i.test(stderr)) {
    return make(
      'timeout',
      'transient',
      `${target} did not answer in time (${exitMeaning(exitCode)}); retrying`,
    );
  }
  if (exitCode === 24) {
    return make(
      'vanished',
      'transient',
      `some files vanished while being sent to ${target}; checking them again`,
    );
  }
  if (exitCode === 23 && /Permission denied/i.test(stderr)) {
    return make(
      'permission-denied',
      'transient',
      `some files could not be read or written for ${target}${said(stderr)}: fix their permissions; the rest was sent`,
    );
  }
  if (exitCode === 23) {
    return make(
      'partial',
      'transient',
      `some files were not transferred to ${target}${said(stderr)}; retrying them`,
    );
  }
  if (
    exitCode === 10 ||
    exitCode === 12 ||
    exitCode === 11 ||
    exitCode === 20 ||
    exitCode === 14 ||
    exitCode === 21 ||
    exitCode === 22 ||
    exitCode === null
  ) {
    return make(
      'connection-lost',
      'transient',
      `the transfer to ${target} failed: ${exitMeaning(exitCode)}${said(stderr)}; retrying`,
    );
  }
  if (exitCode === 1 || exitCode === 2 || exitCode === 4) {
    return make(
      'bad-config',
      'config',
      `rsync rejected the command for ${target}: ${exitMeaning(exitCode)}${said(stderr)}: check the extra rsync options (rsync.extraArgs); servers from rsync 3.1.2 on are supported`,
    );
  }
  if (exitCode === 5 && !/@ERROR/.test(stderr)) {
    return make(
      'connection-lost',
      'transient',
      `the connection to ${target} broke while starting the session${said(stderr)}; retrying`,
    );
  }
  if (exitCode === 5) {
    return make(
      'bad-config',
      'config',
      `could not start the session with ${target}${said(stderr)}: check the target URL and the server's configuration`,
    );
  }
  return make(
    'unknown',
    'transient',
    `rsync to ${target} failed: ${exitMeaning(exitCode)}${said(stderr)}; retrying`,
  );
}
