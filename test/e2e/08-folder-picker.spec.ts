// The folder picker: browsing, opening a folder, and what it says when nothing is found.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, test } from './fixtures';

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
