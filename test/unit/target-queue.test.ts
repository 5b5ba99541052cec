import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import type { PathChange } from '../../electron/engine/coalescer.js';
import { backoffDelay } from '../../electron/engine/backoff.js';
import { TargetQueue, type Job, type JobOutcome } from '../../electron/engine/target-queue.js';
import type { SyncError } from '../../electron/shared/state.js';
import { FakeClock } from '../helpers/fake-clock.js';

const up = (path: string, dir = false): PathChange => ({ path: path as RelPath, change: 'upsert', dir });
const del = (path: string, dir = false): PathChange => ({ path: path as RelPath, change: 'delete', dir });
const moved = (path: string, from: string, dir: boolean): PathChange => ({
  path: path as RelPath,
  change: 'move',
  dir,
  from: from as RelPath,
});

interface Started {
  job: Job;
  finish: (outcome: Partial<JobOutcome>) => Promise<void>;
}

function setup(concurrency = 2, maxBatch = 100) {
  const clock = new FakeClock();
  const started: Started[] = [];
  const errors: SyncError[] = [];
  let recovered = 0;
  const queue = new TargetQueue({
    concurrency,
    maxBatch,
    clock,
    random: () => 1,
    execute: (job) =>
      new Promise<JobOutcome>((resolve) => {
        started.push({
          job,
          finish: async (outcome) => {
            resolve({ ok: true, exitCode: 0, error: null, ...outcome });
            await new Promise((r) => setTimeout(r, 0));
          },
        });
      }),
    onChange: () => undefined,
    onError: (e) => errors.push(e),
    onRecovered: () => recovered++,
  });
  queue.markStarted();
  return { clock, queue, started, errors, recovered: () => recovered };
}

const paths = (job: Job) => (job.kind === 'paths' ? job.changes.map((c) => c.path) : ['<full>']);
const partialError = {
  kind: 'partial' as const,
  class: 'transient' as const,
  message: 'some files were not transferred',
};
const transient = {
  kind: 'connection-refused' as const,
  class: 'transient' as const,
  message: 'connection refused by h::m',
};

describe('TargetQueue', () => {
  it('splits pending work across the free slots', () => {
    const { queue, started } = setup(2);
    queue.enqueue([up('a'), up('b'), up('c'), up('d')]);
    expect(started.map((s) => paths(s.job))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(queue.inFlight).toBe(4);
  });

  it('a slot freed while another run is in flight takes its even part of the work left, not all of it', async () => {
    const { clock, queue, started } = setup(2);
    queue.enqueue([up('a'), up('b')]);
    expect(started.map((s) => paths(s.job))).toEqual([['a'], ['b']]);
    const burst = 'cdefghijklmn'.split('');
    queue.enqueue(burst.map((n) => up(n)));
    clock.advance(100);
    // 12 wait, run b (1) is half done: a freed slot takes ceil((12 + 0.5) / 2) = 7, not all 12.
    await started[0]!.finish({});
    expect(paths(started[2]!.job)).toEqual(['c', 'd', 'e', 'f', 'g', 'h', 'i']);
    // The other slot, freed just after, takes the rest at once: no tail of ever smaller runs.
    await started[1]!.finish({});
    expect(paths(started[3]!.job)).toEqual(['j', 'k', 'l', 'm', 'n']);
    expect(queue.queued).toBe(0);
  });

  it('a new directory sent recursively weighs what it covers', () => {
    const { queue, started } = setup(2);
    const tree = (path: string, covers: number): PathChange => ({ ...up(path, true), subtree: true, covers });
    queue.enqueue([tree('big', 99), up('x'), up('y'), tree('small', 1)]);
    expect(started.map((s) => paths(s.job))).toEqual([['big'], ['x', 'y', 'small']]);
  });

  it('moves and deletions go with the first free run, uncounted: the moves of a swap are never split', () => {
    const { queue, started } = setup(2);
    const mv = (to: string, from: string): PathChange => ({
      path: to as RelPath,
      change: 'move',
      dir: true,
      from: from as RelPath,
    });
    queue.enqueue([mv('p', 'q'), mv('q', 'p'), del('gone'), up('x'), up('y'), up('z')]);
    expect(started.map((s) => paths(s.job))).toEqual([['p', 'q', 'gone', 'x', 'y'], ['z']]);
  });

  it('never runs two batches touching the same path; a change during flight is sent again after', async () => {
    const { queue, started } = setup(2);
    queue.enqueue([up('a')]);
    queue.enqueue([up('a'), up('b')]);
    expect(started.map((s) => paths(s.job))).toEqual([['a'], ['b']]);
    await started[0]!.finish({});
    expect(started.map((s) => paths(s.job))).toEqual([['a'], ['b'], ['a']]);
  });

  it('holds paths below a directory being deleted, and a delete over paths in flight', async () => {
    const { queue, started } = setup(3);
    queue.enqueue([del('d', true)]);
    queue.enqueue([up('d/x'), up('e')]);
    expect(started.map((s) => paths(s.job))).toEqual([['d'], ['e']]);
    await started[0]!.finish({});
    expect(paths(started[2]!.job)).toEqual(['d/x']);
    queue.enqueue([del('e', true)]);
    expect(started).toHaveLength(3);
  });

  it('a directory deleted and created again before the delete went out is re-sent whole (a tree change)', () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('busy')]); // the one slot is taken: what follows waits in the queue
    queue.enqueue([del('site', true), del('notes.txt')]);
    queue.enqueue([up('site', true), up('notes.txt')]);
    expect(queue.unfinished()).toEqual([
      up('busy'),
      { path: 'site', change: 'tree', dir: true },
      up('notes.txt'), // a file that is back simply replaces the old one
    ]);
    expect(started).toHaveLength(1);
  });

  it('a directory created again while the run deleting it is in flight is sent after it as a tree change', async () => {
    const { queue, started } = setup(2);
    queue.enqueue([del('site', true), del('old.txt')]);
    expect(started.map((s) => paths(s.job))).toEqual([['site', 'old.txt']]);
    // Back while that run is in flight (rsync may find them back and send them instead of deleting).
    queue.enqueue([{ ...up('site', true), subtree: true, covers: 1 }, up('old.txt')]);
    expect(queue.unfinished()).toEqual([{ path: 'site', change: 'tree', dir: true }, up('old.txt')]);
    await started[0]!.finish({});
    expect(started.slice(1).flatMap((s) => (s.job.kind === 'paths' ? s.job.changes : []))).toEqual([
      { path: 'site', change: 'tree', dir: true },
      up('old.txt'), // a file that is back replaces the old one whatever the run did
    ]);
  });

  it('retries a transient failure with backoff and keeps every path', async () => {
    const { clock, queue, started, errors, recovered } = setup(1);
    queue.enqueue([up('a'), up('b')]);
    await started[0]!.finish({ ok: false, exitCode: 10, error: transient });
    expect(queue.status).toBe('error');
    expect(errors[0]).toMatchObject({
      kind: 'connection-refused',
      attempts: 1,
      nextRetryAt: expect.any(String),
    });
    expect(queue.queued).toBe(2);
    queue.enqueue([up('c')]);
    expect(started).toHaveLength(1);
    clock.advance(backoffDelay(1, { baseMs: 1000, capMs: 60_000 }, () => 1));
    expect(paths(started[1]!.job)).toEqual(['a', 'b', 'c']);
    await started[1]!.finish({});
    expect(queue.status).toBe('idle');
    expect(recovered()).toBe(1);
    expect(queue.error).toBeNull();
  });

  it('a newer change queued during a failed run wins over the requeued one', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('a')]);
    queue.enqueue([del('a')]);
    await started[0]!.finish({ ok: false, exitCode: 10, error: transient });
    queue.retryNow();
    expect(started[1]!.job).toEqual({ kind: 'paths', changes: [del('a')] });
  });

  it('stops on a configuration error until retryNow', async () => {
    const { clock, queue, started } = setup(1);
    queue.enqueue([up('a')]);
    await started[0]!.finish({
      ok: false,
      exitCode: 5,
      error: { kind: 'auth-failed', class: 'config', message: 'auth failed' },
    });
    expect(queue.status).toBe('stopped');
    expect(queue.error?.nextRetryAt).toBeNull();
    clock.advance(3_600_000);
    expect(started).toHaveLength(1);
    queue.retryNow();
    expect(started).toHaveLength(2);
  });

  it('backoff doubles up to the cap, with jitter within [half, full]', () => {
    const o = { baseMs: 1000, capMs: 60_000 };
    expect(backoffDelay(1, o, () => 1)).toBe(1000);
    expect(backoffDelay(2, o, () => 1)).toBe(2000);
    expect(backoffDelay(10, o, () => 1)).toBe(60_000);
    expect(backoffDelay(10, o, () => 0)).toBe(30_000);
    expect(backoffDelay(100, o, () => 0.5)).toBe(45_000);
  });

  it('runs a full sync alone: it waits for runs in flight and holds new ones', async () => {
    const { queue, started } = setup(2);
    queue.enqueue([up('a')]);
    queue.requestFullSync('test');
    queue.enqueue([up('b')]);
    expect(started).toHaveLength(1);
    await started[0]!.finish({});
    expect(paths(started[1]!.job)).toEqual(['<full>']);
    expect(queue.fullSyncRunning).toBe(true);
    await started[1]!.finish({});
    expect(paths(started[2]!.job)).toEqual(['b']);
  });

  it('a wanted full sync lets pending moves and deletions go first (their old paths are still on the target)', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('a')]);
    queue.enqueue([moved('y', 'x', true), del('gone'), up('b')]);
    queue.requestFullSync('verify');
    await started[0]!.finish({});
    await started[1]!.finish({});
    // The move and the deletion went (alone, without b); then the full sync; b after it.
    expect(started.map((s) => paths(s.job))).toEqual([['a'], ['y', 'gone'], ['<full>']]);
    await started[2]!.finish({});
    expect(paths(started[3]!.job)).toEqual(['b']);
  });

  it('only the moves and deletions pending when the full sync was held back go first: new or failed ones wait', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('a')]);
    queue.enqueue([moved('y', 'x', true)]);
    queue.requestFullSync('verify');
    await started[0]!.finish({});
    expect(paths(started[1]!.job)).toEqual(['y']);
    // While the owed move runs, another move arrives; the owed one fails and is put back.
    queue.enqueue([moved('w', 'v', false)]);
    await started[1]!.finish({ ok: false, exitCode: 23, error: partialError, partial: true });
    expect(paths(started[2]!.job)).toEqual(['<full>']);
    // The old paths both still owe (x: its move waits for a retry), for the full sync's judgement.
    expect([...queue.owedOldPaths()].sort()).toEqual(['v', 'x']);
    await started[2]!.finish({});
    expect(paths(started[3]!.job)).toEqual(['w']);
  });

  it('a full sync wanted because the folder keeps changing (more to delete) does not wait for pending moves', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('a')]);
    queue.enqueue([moved('y', 'x', true), del('gone')]);
    queue.requestFullSync('more to delete after a full sync', false);
    await started[0]!.finish({});
    expect(paths(started[1]!.job)).toEqual(['<full>']);
    expect([...queue.owedOldPaths()].sort()).toEqual(['gone', 'x']);
    await started[1]!.finish({});
    expect(paths(started[2]!.job)).toEqual(['y', 'gone']);
    // A later full sync wanted for another reason lets the pending ones go first again.
    queue.enqueue([del('old')]);
    queue.requestFullSync('verify');
    await started[2]!.finish({});
    expect(started.slice(3).map((s) => paths(s.job))).toEqual([['old']]);
  });

  it('re-checks vanished files at once without raising an error; if that does not settle them, a full sync takes over', async () => {
    const { queue, started, errors } = setup(1);
    queue.enqueue([up('a/f')]);
    const vanished = { kind: 'vanished' as const, class: 'transient' as const, message: 'vanished' };
    for (let i = 0; i < 3; i++)
      await started[i]!.finish({ ok: false, exitCode: 24, error: vanished, retry: [del('a', true)] });
    expect(errors).toHaveLength(0);
    expect(paths(started[3]!.job)).toEqual(['a']);
    await started[3]!.finish({ ok: false, exitCode: 24, error: vanished, retry: [del('a', true)] });
    // No fifth round of the same run: the whole tree is compared instead, and the stuck paths are dropped.
    expect(errors).toHaveLength(0);
    expect(paths(started[4]!.job)).toEqual(['<full>']);
    expect(queue.queued).toBe(0);
    await started[4]!.finish({ ok: false, exitCode: 24, error: vanished });
    await started[5]!.finish({ ok: false, exitCode: 24, error: vanished });
    await started[6]!.finish({ ok: false, exitCode: 24, error: vanished });
    await started[7]!.finish({ ok: false, exitCode: 24, error: vanished });
    expect(errors).toHaveLength(1); // a full sync that keeps vanishing backs off like any failure
    expect(errors[0]?.kind).toBe('vanished');
  });

  it('a full sync that takes over runs that kept vanishing counts their old paths as owed until it completes', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([moved('b', 'a', true)]);
    const vanished = { kind: 'vanished' as const, class: 'transient' as const, message: 'vanished' };
    for (let i = 0; i < 4; i++)
      await started[i]!.finish({ ok: false, exitCode: 24, error: vanished, retry: [moved('b', 'a', true)] });
    expect(paths(started[4]!.job)).toEqual(['<full>']);
    expect(queue.queued).toBe(0);
    // Dropped from the queue, yet a's old copy is still on the target: no loss for the full sync's judgement.
    expect([...queue.owedOldPaths()]).toEqual(['a']);
    await started[4]!.finish({});
    expect([...queue.owedOldPaths()]).toEqual([]);
  });

  it('whenIdle resolves once everything is sent, or the target is waiting on a retry', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('a')]);
    let idle = false;
    void queue.whenIdle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(idle).toBe(false);
    await started[0]!.finish({ ok: false, exitCode: 10, error: transient });
    expect(idle).toBe(true);
  });

  it('pause holds work; resume releases it', () => {
    const { queue, started } = setup(1);
    queue.pause();
    queue.enqueue([up('a')]);
    expect(started).toHaveLength(0);
    expect(queue.status).toBe('paused');
    queue.resume();
    expect(started).toHaveLength(1);
  });
});

describe('TargetQueue moves', () => {
  it('a move onto a name whose pending move is not sent yet keeps the first old path owed (mv a b; mv c b)', async () => {
    const { queue, started } = setup(1);
    queue.enqueue([up('busy')]);
    const move = (path: string, from: string): PathChange => moved(path, from, false);
    queue.enqueue([move('b', 'a')]);
    queue.enqueue([move('b', 'c')]);
    await started[0]!.finish({});
    expect(started[1]?.job).toEqual({ kind: 'paths', changes: [move('b', 'c'), del('a')] });
  });
});

describe('TargetQueue partial failures', () => {
  it('a run failing for some files only is retried later without holding back new work', async () => {
    const { clock, queue, started, errors, recovered } = setup(1);
    queue.requestFullSync('start-up');
    const denied = {
      kind: 'permission-denied' as const,
      class: 'transient' as const,
      message: 'cannot read "secret"',
    };
    await started[0]!.finish({ ok: false, exitCode: 23, error: denied, partial: true });
    expect(queue.status).toBe('error');
    expect(errors[0]).toMatchObject({ kind: 'permission-denied', nextRetryAt: expect.any(String) });
    queue.enqueue([up('new.txt')]);
    expect(paths(started[1]!.job)).toEqual(['new.txt']);
    await started[1]!.finish({});
    expect(queue.status).toBe('error');
    clock.advance(1000);
    expect(paths(started[2]!.job)).toEqual(['<full>']);
    await started[2]!.finish({});
    expect(queue.status).toBe('idle');
    expect(recovered()).toBe(1);
  });

  it("a retry that owes a moved path's deletion is not dropped by a later run that covers only its own path", async () => {
    // mv x tmp; mv y x; mv tmp y: the first move failed (tmp gone), its retry deletes tmp and owes x's old copy.
    const { queue, started } = setup(1);
    const move = (path: string, from: string): PathChange => moved(path, from, true);
    queue.enqueue([move('tmp', 'x')]);
    const owed: PathChange = { ...del('tmp', true), from: 'x' as RelPath };
    await started[0]!.finish({ ok: false, exitCode: 23, error: partialError, partial: true, retry: [owed] });
    queue.enqueue([move('x', 'y'), move('y', 'tmp')]);
    expect(paths(started[1]!.job)).toEqual(['x', 'y']);
    await started[1]!.finish({});
    // The swap's run touched tmp (a move's old path) but not x's old copy: the owed change goes again at once.
    expect(started[2]?.job).toEqual({ kind: 'paths', changes: [owed] });
    await started[2]!.finish({});
    expect(queue.status).toBe('idle');
  });

  it('a retry whose moved-from path the later run covered is done', async () => {
    const { queue, started } = setup(1);
    const owed: PathChange = { ...del('tmp', true), from: 'x' as RelPath };
    queue.enqueue([up('a')]);
    await started[0]!.finish({ ok: false, exitCode: 23, error: partialError, partial: true, retry: [owed] });
    queue.enqueue([{ path: 'x' as RelPath, change: 'tree', dir: true }, up('tmp', true)]);
    await started[1]!.finish({});
    expect(started).toHaveLength(2);
    expect(queue.status).toBe('idle');
  });

  it('two runs failing together both report the one retry that is scheduled', async () => {
    const { queue, started, errors } = setup(2);
    queue.enqueue([up('a'), up('b')]);
    await started[0]!.finish({ ok: false, exitCode: 10, error: transient });
    await started[1]!.finish({ ok: false, exitCode: 10, error: transient });
    expect(errors).toHaveLength(2);
    expect(errors[1]?.nextRetryAt).toBe(errors[0]?.nextRetryAt);
    expect(errors[1]?.nextRetryAt).not.toBeNull();
  });
});
