// Status at a glance in a real browser (issue 14 points 8–10), headless Chromium against the real server,
// engine and rsync daemons on 127.0.0.1. The screenshots double as docs/desktop.md's pictures.
// (j) two pairs synced: the Folders view says "Up to date: 2 folders", every badge "up to date", the window
//     title follows; pausing one says so; a 2-byte file counts as 2 B in Sent today;
// (k) a large transfer under a bandwidth limit names the file while it is sent (before 100 %), with its bytes
//     done of its size, bytes of the total, the rate and the time left, then counts the file's data once;
// (l) a new pair whose target already holds files waits for the choice (Mirror / Keep them / Use a sub-path…),
//     with the pair and target badges "waits for you";
// (m) Activity names a removed pair by its name, says "1 path", and shows a failed run's message;
// (n) most of a folder deleted at once trips the delete guard: the pair and its target say "deletions held",
//     the one line and the title say so, the held paths are listed;
// (o) files deleted on the target behind the pair: "Sync now" restores them, and the target, the pair and the
//     one line say "lost data restored" with the names listed, never "up to date".
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LOSS_MARGIN_MS } from '../../electron/engine/target-loss.js';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { SCREENSHOTS, startApp, until, untilText, type TestApp, browserSuite } from './harness.js';

describe('status at a glance', () => {
  const suite = browserSuite();
  const { cleanups } = suite;

  async function setup(): Promise<{ daemon: RsyncDaemon; app: TestApp; page: Page; errors: string[] }> {
    const daemon = await startRsyncDaemon({
      socketNodelay: true,
      modules: [{ name: 'docs' }, { name: 'photos' }],
    });
    cleanups.push(() => daemon.dispose());
    const app = await startApp();
    cleanups.push(() => app.close());
    const { page, errors } = await suite.newPage();
    return { daemon, app, page, errors };
  }

  async function folderIn(app: TestApp, name: string): Promise<string> {
    const folder = path.join(app.work, name);
    await mkdir(folder, { recursive: true });
    return folder;
  }

  it('(j) all up to date: one line says so, every badge agrees, the title follows', async () => {
    const { daemon, app, page, errors } = await setup();
    const docs = await folderIn(app, 'Documents');
    const photos = await folderIn(app, 'Photos');
    await writeFile(path.join(photos, 'tiny.txt'), 'hi');
    await app.service.handle('savePair', {
      pair: {
        id: 'docs',
        folder: docs,
        targets: [{ id: 't1', url: daemon.url('docs'), password: daemon.password }],
      },
    });
    await app.service.handle('savePair', {
      pair: {
        id: 'photos',
        folder: photos,
        targets: [{ id: 't1', url: daemon.url('photos'), password: daemon.password }],
      },
    });
    await page.goto(app.url);
    const overall = page.getByTestId('overall');
    await untilText(overall, /^Up to date: 2 folders$/);
    await until(
      'the title to follow',
      async () => (await page.title()) === 'Rsync Live — Up to date: 2 folders',
    );
    const badges = await page.getByTestId('status').allTextContents();
    expect(badges).toEqual(['up to date', 'up to date', 'up to date', 'up to date']);
    // A 2-byte file is 2 B of file data (not rsync's wire bytes).
    const photosTarget = page.locator('#pair-photos').getByTestId('target');
    await untilText(photosTarget.getByTestId('today'), /^1 file, 2 B$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'j-up-to-date.png'), fullPage: true });

    await page.locator('#pair-docs').getByRole('button', { name: 'Pause', exact: true }).click();
    await untilText(overall, /^Up to date: 1 folder, 1 paused$/);
    await untilText(page.locator('#pair-docs').getByTestId('target').getByTestId('status'), /^paused$/);
    await page.locator('#pair-photos').getByRole('button', { name: 'Pause', exact: true }).click();
    await untilText(overall, /^Paused \(2 folders\)$/);
    expect(await page.title()).toBe('Rsync Live — Paused (2 folders)');
    expect(errors).toEqual([]);
  });

  it('(k) a large transfer names the file with its bytes, rate and time left while it is sent, then counts the data once', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = await folderIn(app, 'Videos');
    await app.service.handle('savePair', {
      pair: {
        id: 'videos',
        folder,
        targets: [{ id: 't1', url: daemon.url('docs'), password: daemon.password }],
        rsync: { bwlimitKiB: 1024 },
      },
    });
    await page.goto(app.url);
    const target = page.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);
    const size = 12 * 1024 * 1024;
    await writeFile(path.join(folder, 'holiday.mp4'), Buffer.alloc(size, 7));
    const transfer = target.getByTestId('transfer');
    // The file is named while it is sent, not once it is done: with its own bytes and the rate, before 100 %.
    await untilText(transfer.getByTestId('transfer-file'), /^holiday\.mp4$/, 30_000);
    await untilText(transfer.getByTestId('transfer-file-amount'), /^[\d.]+ (KiB|MiB) of 12 MiB$/);
    await untilText(transfer.getByTestId('transfer-rate'), /^\d+(\.\d)? (KiB|MiB)\/s$/, 30_000);
    const percent = Number(await transfer.getByRole('progressbar').getAttribute('value'));
    expect(percent).toBeLessThan(100);
    expect(await transfer.getByTestId('transfer-file').textContent()).toBe('holiday.mp4');
    await untilText(transfer.getByTestId('transfer-eta'), /^about \d+ (s|min) left$/, 30_000);
    // The run is this one file: its amount is not repeated for the run.
    expect(await transfer.getByTestId('transfer-amount').count(), (await transfer.textContent()) ?? '').toBe(
      0,
    );
    expect(await target.getByTestId('status').textContent()).toBe('syncing');
    expect(await page.getByTestId('overall').textContent()).toMatch(/Syncing 1 folder/);
    await target.screenshot({ path: path.join(SCREENSHOTS, 'k-large-transfer.png') });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'k-large-transfer-page.png'), fullPage: true });

    await waitForConverge(folder, daemon.modulePaths['docs'] as string, { timeoutMs: 60_000 });
    await untilText(target.getByTestId('today'), /^1 file, 12 MiB$/, 30_000);
    await untilText(target.getByTestId('status'), /^up to date$/);
    expect(await transfer.count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('(l) a target that already holds files waits for the choice, and the badges say so', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = await folderIn(app, 'Music');
    await writeFile(path.join(folder, 'mine.txt'), 'mine\n');
    const module = daemon.modulePaths['photos'] as string;
    await mkdir(path.join(module, 'other-laptop'), { recursive: true });
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg'])
      await writeFile(path.join(module, 'other-laptop', name), name);
    await app.service.handle('savePair', {
      pair: {
        id: 'music',
        folder,
        targets: [{ id: 't1', url: daemon.url('photos'), password: daemon.password }],
      },
    });
    await page.goto(app.url);
    const card = page.locator('#pair-music');
    await untilText(card.getByTestId('status').first(), /^waits for you$/);
    await untilText(card.getByTestId('target').getByTestId('status'), /^waits for you$/);
    await untilText(page.getByTestId('overall'), /^1 folder waiting for your choice$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'l-existing-card.png'), fullPage: true });

    await page.getByRole('button', { name: /^Failures/ }).click();
    const panel = page.getByTestId('existing-data');
    await untilText(panel.getByRole('heading'), /already holds 4 entries that are not in your folder/);
    for (const name of ['Mirror (delete them)', 'Keep them', 'Use a sub-path…'])
      expect(await panel.getByRole('button', { name, exact: true }).isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'l-existing-choice.png'), fullPage: true });

    await panel.getByRole('button', { name: 'Keep them', exact: true }).click();
    await page.getByRole('button', { name: 'Folders' }).click();
    await untilText(card.getByTestId('target').getByTestId('status'), /^up to date$/, 20_000);
    await untilText(page.getByTestId('overall'), /^Up to date: 1 folder$/);
    expect(errors).toEqual([]);
  });

  it('(m) Activity names a removed pair, says "1 path" and shows why a run failed', async () => {
    const { daemon, app, page, errors } = await setup();
    const notes = await folderIn(app, 'Notes');
    const broken = await folderIn(app, 'Old disk');
    await app.service.handle('savePair', {
      pair: {
        id: 'notes-e7c3',
        name: 'Notes',
        folder: notes,
        targets: [{ id: 't1', url: daemon.url('docs'), password: daemon.password }],
      },
    });
    await app.service.handle('savePair', {
      pair: {
        id: 'old-disk-41aa',
        folder: broken,
        targets: [{ id: 't1', url: daemon.url('photos'), password: 'wrong' }],
      },
    });
    await page.goto(app.url);
    await untilText(
      page.locator('#pair-notes-e7c3').getByTestId('target').getByTestId('status'),
      /^up to date$/,
    );
    await writeFile(path.join(notes, 'todo.txt'), 'one line\n');
    await waitForConverge(notes, daemon.modulePaths['docs'] as string, { timeoutMs: 10_000 });
    await untilText(page.locator('#pair-old-disk-41aa').getByTestId('status').first(), /^error$/);

    // Removed: its runs stay in Activity under its name, not its id.
    await page.locator('#pair-old-disk-41aa').getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
    await page.locator('#pair-old-disk-41aa').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Activity' }).click();
    const batches = page.getByTestId('batch');
    const one = batches.filter({ hasText: '1 path' });
    await one.first().waitFor();
    expect(await one.first().textContent()).toMatch(/Notes → .*1 path.*ok/s);
    expect(
      await batches
        .filter({ hasText: /\d paths?\b/ })
        .filter({ hasText: '1 paths' })
        .count(),
    ).toBe(0);
    const failed = batches.filter({ hasText: 'failed' });
    await failed.first().waitFor();
    const text = (await failed.first().textContent()) ?? '';
    expect(text).toContain('Old disk →');
    expect(text).not.toContain('old-disk-41aa');
    expect(await failed.first().getByTestId('batch-error').textContent()).toMatch(/auth failed/i);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'm-activity.png'), fullPage: true });
    // The refused run's auth failure is not a browser error; nothing may fail in the page.
    expect(errors).toEqual([]);
  });

  it('(n) a tripped delete guard: every status says deletions are held, the list names them', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = await folderIn(app, 'Projects');
    const names = ['plan.md', 'budget.ods', 'notes.txt', 'keep.txt'];
    for (const name of names) await writeFile(path.join(folder, name), `${name}\n`);
    await app.service.handle('savePair', {
      pair: {
        id: 'projects',
        folder,
        targets: [{ id: 't1', url: daemon.url('docs'), password: daemon.password }],
        deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 2 },
      },
    });
    await page.goto(app.url);
    const card = page.locator('#pair-projects');
    await untilText(card.getByTestId('target').getByTestId('status'), /^up to date$/);
    await waitForConverge(folder, daemon.modulePaths['docs'] as string, { timeoutMs: 10_000 });
    await Promise.all(names.slice(0, 3).map((name) => rm(path.join(folder, name))));
    const guard = card.getByTestId('delete-guard');
    await untilText(guard.getByTestId('guard-held'), /^3 deletions held$/, 20_000);
    await untilText(card.getByTestId('status').first(), /^deletions held$/);
    await untilText(card.getByTestId('target').getByTestId('status'), /^deletions held$/);
    await untilText(page.getByTestId('overall'), /^Deletions held for 1 folder$/);
    expect(await page.title()).toBe('Rsync Live — Deletions held for 1 folder');
    const list = guard.locator('details');
    if ((await list.count()) > 0) await list.first().locator('summary').click();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'n-delete-guard.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
  it('(o) a target that lost data is not green: restored, the badges say so, the names are listed', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = await folderIn(app, 'Notes');
    for (let i = 0; i < 5; i++) await writeFile(path.join(folder, `n${i}.txt`), `note ${i}`);
    // The rule needs the files older than the first sync's start by more than its margin.
    const written = Date.now();
    await until(
      'the files to be old enough',
      async () => Date.now() > written + LOSS_MARGIN_MS + 200,
      10_000,
    );
    await app.service.handle('savePair', {
      pair: {
        id: 'notes',
        folder,
        targets: [{ id: 't1', url: daemon.url('docs'), password: daemon.password }],
      },
    });
    await page.goto(app.url);
    const card = page.locator('#pair-notes');
    const target = card.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);
    const dest = daemon.modulePaths['docs'] as string;
    await waitForConverge(folder, dest, { timeoutMs: 30_000 });
    await rm(path.join(dest, 'n1.txt'));
    await rm(path.join(dest, 'n3.txt'));

    await app.service.handle('syncNow', { pairId: 'notes' });
    await untilText(target.getByTestId('status'), /^lost data restored$/, 30_000);
    await untilText(card.getByTestId('status').first(), /^lost data restored$/);
    await untilText(page.getByTestId('overall'), /^1 folder: a target lost data \(restored\)$/);
    const lost = target.getByTestId('target-lost');
    expect(await lost.textContent()).toContain(
      'had lost 2 entries that this pair had put there and not deleted',
    );
    await lost.locator('summary').click();
    expect((await lost.locator('li').allTextContents()).sort()).toEqual(['n1.txt', 'n3.txt']);
    await waitForConverge(folder, dest, { timeoutMs: 30_000 });
    await card.screenshot({ path: path.join(SCREENSHOTS, 'o-lost-data-card.png') });
    expect(errors).toEqual([]);
  });
});
