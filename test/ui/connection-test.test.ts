// Issue 10 point 1 in a real browser (headless Chromium, the real server, engine and an rsync daemon on
// 127.0.0.1): in the Add folder form, Test connection with a folder typed says what the target path holds that
// the folder doesn't ("this path holds 202 entries, 201 not in your folder": other-laptop/ and its 200 files),
// lists it, and "Use sub-path" puts the suggested sub-path (named after this host and folder) into the target;
// testing again says the sub-path is empty. Nothing on the daemon changes but the (empty) sub-path the second
// test's write check creates.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { manifest } from '../helpers/manifest.js';
import { startRsyncDaemon } from '../helpers/rsync-daemon.js';
import { browserSuite, SCREENSHOTS, startApp, untilText } from './harness.js';

const host = (os.hostname().split('.')[0] ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');

describe('Test connection in the form', () => {
  const suite = browserSuite();
  const { cleanups } = suite;

  it('(o) says what the target holds that the folder does not; Use sub-path fills the target', async () => {
    const daemon = await startRsyncDaemon({ socketNodelay: true });
    cleanups.push(() => daemon.dispose());
    const app = await startApp();
    cleanups.push(() => app.close());
    const folder = path.join(app.work, 'Documents');
    await mkdir(folder);
    await writeFile(path.join(folder, 'mine.txt'), 'ours');
    await mkdir(path.join(daemon.modulePath, 'other-laptop'));
    for (let i = 0; i < 200; i++)
      await writeFile(path.join(daemon.modulePath, 'other-laptop', `doc${i}.txt`), `theirs ${i}`);
    await writeFile(path.join(daemon.modulePath, 'mine.txt'), 'an older copy of ours');
    const before = await manifest(daemon.modulePath);

    const { page, errors } = await suite.newPage({ width: 1000, height: 900 });

    await page.goto(app.url);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByLabel('Local folder').fill(folder);
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(daemon.port));
    await page.getByLabel('Module').fill(daemon.moduleName);
    await page.getByLabel('User').fill(daemon.user);
    await page.getByLabel('Password', { exact: true }).fill(daemon.password);

    await page.getByRole('button', { name: 'Test connection' }).click();
    const contents = page.getByTestId('target-contents');
    await untilText(contents, /This path holds 202 entries, 201 not in your folder/, 60_000);
    const suggestion = `rsync://${daemon.user}@127.0.0.1:${daemon.port}/${daemon.moduleName}/${host}-Documents`;
    expect(await page.getByTestId('suggested-sub-path').textContent()).toBe(suggestion);
    await page.getByTestId('target-foreign').locator('summary').click();
    expect(await page.getByTestId('target-foreign').textContent()).toContain('other-laptop/');
    await page
      .locator('fieldset.target')
      .screenshot({ path: path.join(SCREENSHOTS, 'o-connection-test-existing.png') });
    expect(await manifest(daemon.modulePath)).toEqual(before);

    await page.getByRole('button', { name: 'Use sub-path' }).click();
    expect(await page.getByLabel('Sub-path').inputValue()).toBe(`${host}-Documents`);
    expect(await page.getByTestId('built-url').textContent()).toBe(suggestion);

    await page.getByRole('button', { name: 'Test connection' }).click();
    await untilText(contents, /This path is empty: nothing will be deleted/, 60_000);
    await page
      .locator('fieldset.target')
      .screenshot({ path: path.join(SCREENSHOTS, 'o-connection-test-sub-path.png') });
    expect(errors).toEqual([]);
  }, 120_000);
});
