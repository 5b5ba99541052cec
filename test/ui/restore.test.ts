// Get a file back (issue 16) in a real browser: headless Chromium against the real headless server, engine and
// rsync daemons on 127.0.0.1. The screenshots double as docs/desktop.md's pictures.
// (o) Browse backup on a pair that keeps deleted files: the tree (lazily per directory), a search by name, the
//     markers; a deleted file restored to its place is back, and the live mirror neither re-sends it nor
//     deletes anything (a later change is the only batch, the target is otherwise unchanged); a file newer
//     locally is left alone, listed in a confirmation, then overwritten; a folder restored into another folder;
// (p) versions: a file's earlier copies (crafted in .rsync-live-versions/DATE/ on the daemon's module) listed
//     newest first, "Restore this version" brings that copy back (after confirming it replaces a newer file),
//     and a file deleted from the backup shows and restores its last version;
// (q) errors: the daemon stops while the view is open → Restore says why (and changes nothing locally),
//     reopening a folder says it cannot be listed; the daemon is back → the restore works.
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../electron/shared/state.js';
import { diffManifests, manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { SCREENSHOTS, startApp, until, untilText, type TestApp, browserSuite } from './harness.js';

const VERSIONS = '.rsync-live-versions';

describe('get a file back', () => {
  const suite = browserSuite();
  const { cleanups } = suite;

  async function setup(): Promise<{ daemon: RsyncDaemon; app: TestApp; page: Page; errors: string[] }> {
    const daemon = await startRsyncDaemon({ socketNodelay: true });
    cleanups.push(() => daemon.dispose());
    const app = await startApp();
    cleanups.push(() => app.close());
    const { page, errors } = await suite.newPage();
    return { daemon, app, page, errors };
  }

  /** Writes a file with a fixed mtime (seconds since the epoch). */
  async function put(file: string, content: string, mtime: number): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await utimes(file, mtime, mtime);
  }

  const entry = (page: Page, name: string) =>
    page.getByTestId('backup-entry').and(page.locator(`[data-name="${name}"]`));
  const activity = async (app: TestApp): Promise<BatchSummary[]> =>
    (await app.service.handle('getActivity', {})) as BatchSummary[];

  it('(o) browse, search, restore a deleted file in place (not mirrored back), newer locally, into another folder', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = path.join(app.work, 'Documents');
    const past = Math.floor(Date.now() / 1000) - 86_400;
    await put(path.join(folder, 'report.txt'), 'the report\n', past);
    await put(path.join(folder, 'notes', 'a.txt'), 'note a\n', past);
    await put(path.join(folder, 'notes', 'b #[1].txt'), 'note b\n', past);
    // A name that is not UTF-8 (Latin-1 "café"): shown with U+FFFD, restored byte for byte.
    const cafe = Buffer.concat([Buffer.from(`${folder}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]);
    await writeFile(cafe, 'bytes\n');
    await utimes(cafe, past, past);
    await app.service.handle('savePair', {
      pair: {
        id: 'docs',
        folder,
        deletion: 'keep',
        targets: [{ id: 't1', url: daemon.url(), password: daemon.password }],
      },
    });
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 30_000 });
    await page.goto(app.url);
    const card = page.locator('#pair-docs');
    await untilText(card.getByTestId('target').getByTestId('status'), /^up to date$/);

    // Deleted locally; the pair keeps deleted files on the backup.
    await rm(path.join(folder, 'report.txt'));
    await rm(cafe);
    await app.service.whenIdle('docs');
    const before = await manifest(daemon.modulePath);

    await card.getByRole('button', { name: 'Browse backup' }).click();
    await page.getByRole('heading', { name: 'Backup of Documents' }).waitFor();
    await untilText(entry(page, 'report.txt').getByTestId('mark'), /^missing locally$/);
    expect(await entry(page, 'notes').getByTestId('mark').textContent()).toBe('');
    // Lazily per directory: notes/ is listed when opened.
    expect(await entry(page, 'a.txt').count()).toBe(0);
    await page.getByRole('button', { name: 'notes/' }).click();
    await entry(page, 'b #[1].txt').waitFor();
    expect(await entry(page, 'a.txt').getByTestId('mark').textContent()).toBe('');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'o-browse-backup.png'), fullPage: true });

    // Search by name, anywhere in the backup.
    await page.getByRole('searchbox', { name: 'Search the backup by name' }).fill('#[1]');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await untilText(page.getByTestId('backup-tree').getByRole('heading'), /^Found 1 for “#\[1\]”$/);
    await entry(page, 'notes/b #[1].txt').waitFor();
    await page.getByRole('button', { name: 'Clear search' }).click();

    // Restore the deleted file to its place.
    await untilText(entry(page, 'caf\uFFFD.txt').getByTestId('mark'), /^missing locally$/);
    await entry(page, 'report.txt').getByRole('checkbox').check();
    await entry(page, 'caf\uFFFD.txt').getByRole('checkbox').check();
    await untilText(page.getByTestId('selected'), /^\s*2 selected\s*$/);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await untilText(page.getByTestId('restore-outcome'), /^Restored 2 files into .*Documents\.$/);
    expect(await readFile(path.join(folder, 'report.txt'), 'utf8')).toBe('the report\n');
    expect(await readFile(cafe, 'utf8')).toBe('bytes\n');
    expect((await stat(path.join(folder, 'report.txt'))).mtimeMs).toBe(past * 1000);
    await untilText(entry(page, 'report.txt').getByTestId('mark'), /^$/);

    // The live mirror neither re-sends it nor deletes anything: a later change is all the next batches carry.
    const batches = (await activity(app)).length;
    await writeFile(path.join(folder, 'later.txt'), 'later\n');
    await until('later.txt to reach the target', async () =>
      stat(path.join(daemon.modulePath, 'later.txt')).then(
        () => true,
        () => false,
      ),
    );
    await app.service.whenIdle('docs');
    const newBatches = async (): Promise<BatchSummary[]> => {
      const all = await activity(app);
      return all.slice(0, all.length - batches);
    };
    await until('its batch to end', async () => (await newBatches()).some((batch) => batch.files > 0));
    const after = await newBatches();
    expect(after.reduce((sum, batch) => sum + batch.files, 0)).toBe(1);
    expect(after.reduce((sum, batch) => sum + batch.deleted, 0)).toBe(0);
    const now = await manifest(daemon.modulePath);
    now.delete('later.txt');
    expect(diffManifests(before, now)).toEqual([]);

    // Newer locally: left alone, listed, overwritten only when confirmed.
    await app.service.handle('pause', { pairId: 'docs' });
    await writeFile(path.join(folder, 'notes', 'a.txt'), 'changed here\n');
    await page.getByRole('button', { name: 'Restore', exact: true }).waitFor();
    await entry(page, 'notes').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toBe('Overwrite 1 newer local file?');
    await dialog.locator('summary').click();
    expect(await dialog.getByTestId('newer-locally').locator('li').allTextContents()).toEqual([
      'notes/a.txt',
    ]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'o-newer-locally.png') });
    expect(await readFile(path.join(folder, 'notes', 'a.txt'), 'utf8')).toBe('changed here\n');
    await dialog.getByRole('button', { name: 'Overwrite' }).click();
    await untilText(page.getByTestId('restore-outcome'), /^Restored 1 file into .*Documents\.$/);
    expect(await readFile(path.join(folder, 'notes', 'a.txt'), 'utf8')).toBe('note a\n');

    // Into another folder: the selection keeps its place below it.
    const elsewhere = path.join(app.work, 'Restored');
    await mkdir(elsewhere);
    await entry(page, 'notes').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Restore to…' }).click();
    await page.getByLabel('Restore into folder').fill(elsewhere);
    await page.getByRole('button', { name: 'Restore here' }).click();
    await untilText(page.getByTestId('restore-outcome'), /^Restored 2 files into .*Restored\.$/);
    expect(await readFile(path.join(elsewhere, 'notes', 'a.txt'), 'utf8')).toBe('note a\n');
    expect(await readFile(path.join(elsewhere, 'notes', 'b #[1].txt'), 'utf8')).toBe('note b\n');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'o-restored-elsewhere.png'), fullPage: true });

    await page.getByRole('button', { name: 'Back to folders' }).click();
    await card.waitFor();

    // Each restore is in Activity, newest first: the first one wrote 2 files for 2 paths.
    await page.getByRole('button', { name: 'Activity' }).click();
    const restores = page
      .getByTestId('batch')
      .filter({ has: page.getByTestId('batch-kind').filter({ hasText: /^restore, / }) });
    await until('the restores in Activity', async () => (await restores.count()) >= 3);
    expect(await restores.last().getByTestId('batch-kind').textContent()).toBe('restore, 2 paths');
    expect(await restores.last().getByTestId('batch-files').textContent()).toBe('2');
    expect(await restores.first().getByTestId('batch-kind').textContent()).toBe('restore, 1 path');
    expect(errors).toEqual([]);
  });

  it('(p) versions: earlier copies newest first, restore one, and a deleted file shows its last version', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = path.join(app.work, 'Plans');
    const day = 86_400;
    const base = Math.floor(Date.UTC(2026, 10, 29) / 1000);
    await put(path.join(folder, 'plan.txt'), 'plan, third draft\n', base + 4 * day);
    await app.service.handle('savePair', {
      pair: {
        id: 'plans',
        folder,
        deletion: 'versions',
        targets: [{ id: 't1', url: daemon.url(), password: daemon.password }],
      },
    });
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 30_000 });
    // Earlier copies as versions mode keeps them, one folder per day.
    const kept = path.join(daemon.modulePath, VERSIONS);
    await put(path.join(kept, '2026-11-30', 'plan.txt'), 'plan, first draft\n', base + day);
    await put(path.join(kept, '2026-12-01', 'plan.txt'), 'plan, second draft\n', base + 2 * day);
    await put(path.join(kept, '2026-12-01', 'old idea.txt'), 'an old idea\n', base + day);

    await page.goto(app.url);
    const card = page.locator('#pair-plans');
    await untilText(card.getByTestId('target').getByTestId('status'), /^up to date$/);
    await card.getByRole('button', { name: 'Browse backup' }).click();
    await untilText(entry(page, 'old idea.txt').getByTestId('mark'), /^deleted, last version 2026-12-01$/);
    expect(await entry(page, 'plan.txt').getByTestId('mark').textContent()).toBe('');
    expect(await entry(page, VERSIONS).count()).toBe(0);

    await entry(page, 'plan.txt').getByRole('button', { name: 'Versions of plan.txt' }).click();
    const versions = page.getByTestId('versions');
    await versions.getByTestId('version').first().waitFor();
    expect(
      await versions.getByTestId('version').evaluateAll((rows) => rows.map((row) => row.dataset['version'])),
    ).toEqual(['2026-12-01', '2026-11-30']);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'p-versions.png'), fullPage: true });

    // The older copy replaces a newer file: asked first.
    await versions
      .getByTestId('version')
      .and(page.locator('[data-version="2026-11-30"]'))
      .getByRole('button', { name: /^Restore this version/ })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Overwrite' }).click();
    await untilText(page.getByTestId('restore-outcome'), /^Restored 1 file into .*Plans\.$/);
    expect(await readFile(path.join(folder, 'plan.txt'), 'utf8')).toBe('plan, first draft\n');

    // A file deleted from the backup: its last version comes back.
    await page.getByRole('button', { name: 'Close versions' }).click();
    await entry(page, 'old idea.txt').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await until('old idea.txt to be back', async () =>
      readFile(path.join(folder, 'old idea.txt'), 'utf8').then(
        (text) => text === 'an old idea\n',
        () => false,
      ),
    );
    await untilText(page.getByTestId('restore-outcome'), /^Restored 1 file into .*Plans\.$/);
    // Narrow and dark, as the rest of the window.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 420, height: 760 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'p-restored-narrow-dark.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('(q) the target goes away: Restore and listing say why; back again, the restore works', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = path.join(app.work, 'Music');
    await put(path.join(folder, 'song.txt'), 'la la\n', Math.floor(Date.now() / 1000) - 3600);
    await put(path.join(folder, 'lyrics', 'verse.txt'), 'verse\n', Math.floor(Date.now() / 1000) - 3600);
    await app.service.handle('savePair', {
      pair: {
        id: 'music',
        folder,
        deletion: 'keep',
        targets: [{ id: 't1', url: daemon.url(), password: daemon.password }],
      },
    });
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 30_000 });
    await rm(path.join(folder, 'song.txt'));
    await page.goto(app.url);
    const card = page.locator('#pair-music');
    await card.getByRole('button', { name: 'Browse backup' }).click();
    await untilText(entry(page, 'song.txt').getByTestId('mark'), /^missing locally$/);

    await daemon.stop();
    await entry(page, 'song.txt').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const alert = page.getByTestId('restore-error');
    await untilText(alert, /^Cannot .*127\.0\.0\.1.*\?$/, 30_000);
    const message = (await alert.textContent()) ?? '';
    expect(message).not.toContain(daemon.password);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'q-restore-error.png'), fullPage: true });
    expect(await stat(path.join(folder, 'song.txt')).catch(() => null)).toBeNull();
    // The tree keeps what it listed; a folder opened now says why it cannot be listed.
    await page.getByRole('button', { name: 'lyrics/' }).click();
    await untilText(
      page.getByTestId('backup-tree').locator('.sub').getByRole('alert'),
      /127\.0\.0\.1/,
      30_000,
    );

    await daemon.start();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await untilText(page.getByTestId('restore-outcome'), /^Restored 1 file into .*Music\.$/, 30_000);
    expect(await readFile(path.join(folder, 'song.txt'), 'utf8')).toBe('la la\n');
    expect(await page.getByTestId('restore-error').count()).toBe(0);
    // The failed call's console line is the only browser error.
    expect(errors.filter((error) => !/status of 503/.test(error))).toEqual([]);
  });
});
