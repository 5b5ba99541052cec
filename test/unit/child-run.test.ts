// The rsync runner's child process (electron/engine/rsync/child-run.ts), with real processes: stdin fed and
// closed, the environment added to (and a variable removed), exit codes and signals, spawn errors as codes, an
// abort that ends the child with SIGTERM, and SIGKILL for a child that ignores SIGTERM.
import { describe, expect, it } from 'vitest';
import { runChild, type ChildRequest } from '../../electron/engine/rsync/child-run.js';

function run(file: string, args: string[], extra: Partial<ChildRequest> = {}) {
  const child = runChild({
    file,
    args,
    input: Buffer.alloc(0),
    env: {},
    detached: false,
    forceKillAfterMs: 3_000,
    ...extra,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
  return { child, done: child.result.then((result) => ({ ...result, stdout, stderr })) };
}

describe('runChild', () => {
  it('feeds stdin, adds to the environment and removes a variable, and reports the exit code', async () => {
    process.env.RSYNC_LIVE_CHILD_RUN_TEST = 'inherited';
    try {
      const { child, done } = run(
        'sh',
        ['-c', 'cat; echo "[$ADDED][${RSYNC_LIVE_CHILD_RUN_TEST-unset}]" >&2; exit 3'],
        {
          input: Buffer.from('a\0b\nc'),
          env: { ADDED: 'x y', RSYNC_LIVE_CHILD_RUN_TEST: undefined },
        },
      );
      expect(child.pid).toBeGreaterThan(0);
      const result = await done;
      expect(result).toMatchObject({
        exitCode: 3,
        signal: null,
        stdout: 'a\0b\nc',
        stderr: '[x y][unset]\n',
      });
      expect(result.spawnError).toBeUndefined();
    } finally {
      delete process.env.RSYNC_LIVE_CHILD_RUN_TEST;
    }
  });

  it('answers a program that cannot be started with its error code, never a throw', async () => {
    const { child, done } = run('/nonexistent/rsync-live-test', []);
    expect(child.pid).toBeUndefined();
    expect(await done).toMatchObject({ exitCode: null, signal: null, spawnError: 'ENOENT' });
  });

  it('a child that exits without reading its input is no error', async () => {
    const { done } = run('true', [], { input: Buffer.alloc(4 * 1024 * 1024, 1) });
    expect(await done).toMatchObject({ exitCode: 0, signal: null });
  });

  it('an abort ends the child with SIGTERM', async () => {
    const abort = new AbortController();
    const { child, done } = run('sh', ['-c', 'echo started; exec sleep 60'], { signal: abort.signal });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    abort.abort();
    expect(await done).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });

  it('kill() follows with SIGKILL when the child ignores SIGTERM', async () => {
    const { child, done } = run('sh', ['-c', "trap '' TERM; echo ready; while :; do sleep 1; done"], {
      forceKillAfterMs: 100,
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    expect(await done).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });
});
