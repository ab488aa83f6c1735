// The folder picker: browsing, opening a folder, and what it says when nothing is found.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, expect, root, test } from './fixtures';

test('the folder picker opens a folder without checkpoints and says so', async ({ page, srv, shot }) => {
  const empty = join(srv.tmp, 'no-checkpoints-here');
  mkdirSync(join(empty, 'notes'), { recursive: true });
  await page.goto(srv.url);
  await page.getByRole('button', { name: 'Open folder…' }).click();
  await page.getByRole('dialog').waitFor();
  await page.locator('#picker-path').fill(empty);
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await page.getByRole('button', { name: /notes/ }).waitFor();
  await page.getByRole('button', { name: 'Open this folder' }).click();
  const notice = page.locator('[data-testid=open-result]');
  await notice.waitFor();
  const text = (await notice.textContent()) ?? '';
  check(text.includes(empty), `the message names the folder: ${text}`);
  check(/no checkpoints|No checkpoint/i.test(text), `the message says nothing was found: ${text}`);
  await shot(page, 'open-folder-error');
});

test('issue 15 #8: a typed path that does not exist says so, opens nothing; numbered folders sort as numbers; opening goes to the new run', async ({ page, srv, api, shot, consoleErrors }) => {
  // The refused browse of the missing folder is logged by the browser as a failed resource (404).
  consoleErrors.allow(/Failed to load resource/);
  const base = join(srv.tmp, 'picker-sort');
  for (const n of [0, 1200, 128, 16]) mkdirSync(join(base, `checkpoint-${n}`), { recursive: true });
  const nowhere = join(srv.tmp, 'no-such-folder');
  // The engine: a missing folder is "not found" in words, not a raw ENOENT (HTTP 500).
  const refused = await api('browse', { path: nowhere });
  expect(refused.status).toBe(404);
  expect(refused.body.message).toBe(`there is no folder ${nowhere}`);
  await page.goto(srv.url);
  await page.getByRole('button', { name: 'Open folder…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.locator('#picker-path').fill(base);
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await dialog.getByRole('button', { name: 'checkpoint-0/' }).waitFor();
  const names = await dialog.locator('.entries li button.entry').allTextContents();
  expect(names.filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-0/', 'checkpoint-16/', 'checkpoint-128/', 'checkpoint-1200/']);
  // Typed but not listed, then "Open this folder": the typed folder is checked, nothing opened.
  await page.locator('#picker-path').fill(nowhere);
  await page.getByTestId('picker-choose').click();
  const alert = dialog.getByRole('alert');
  await expect(alert).toHaveText(`there is no folder ${nowhere}`);
  await expect(dialog).toBeVisible();
  expect(await page.locator('[data-testid=open-result]').count(), 'nothing was opened').toBe(0);
  await shot(page, 'folder-picker-missing');
  // A real run typed and opened directly: the page goes to that run.
  const hub = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
  const commit = readFileSync(join(hub, 'refs', 'step0'), 'utf8').trim();
  const one = join(srv.tmp, 'one-run', 'step_0');
  mkdirSync(one, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(hub, 'snapshots', commit, f), join(one, f));
  await page.locator('#picker-path').fill(join(srv.tmp, 'one-run'));
  await page.getByTestId('picker-choose').click();
  await page.waitForURL(/#\/run\/[^/]+\/overview/, { timeout: 30_000 });
  await expect(page.locator('.runhead h1')).toHaveText('one-run');
});
