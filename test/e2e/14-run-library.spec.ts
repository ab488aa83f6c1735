// Issue 15 #7: a run can be renamed and removed from the library on Home, by keyboard alone. The
// name is shown in the list (with the scanned name beside it) and on the run's page; removing asks
// first, says that the checkpoint files stay, and leaves them on disk.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, root, test } from './fixtures';

test('rename and remove a run from Home with the keyboard; files stay', async ({ page, srv, apiOk, shot }) => {
  const hub = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
  const steps = readdirSync(join(hub, 'refs')).filter((r) => /^step\d+$/.test(r)).map((r) => Number(r.slice(4))).sort((a, b) => a - b).slice(0, 2);
  const folder = join(srv.tmp, 'library-run');
  for (const step of steps) {
    const commit = readFileSync(join(hub, 'refs', `step${step}`), 'utf8').trim();
    mkdirSync(join(folder, `step_${step}`), { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(hub, 'snapshots', commit, f), join(folder, `step_${step}`, f));
  }
  const opened = await apiOk('openPaths', { paths: [folder] });
  const runId = opened.runs[0].id as string;
  await page.goto(srv.url);
  const row = page.locator(`[data-testid=run-row][data-run-id="${runId}"]`);
  await row.waitFor();
  await expect(row.locator('a').first()).toHaveText('library-run');

  // Rename: Enter on the button opens the field focused; Escape cancels and gives focus back.
  await row.getByTestId('rename-run').focus();
  await page.keyboard.press('Enter');
  const input = row.getByTestId('rename-input');
  await expect(input).toBeFocused();
  await page.keyboard.type('discarded');
  await page.keyboard.press('Escape');
  await expect(row.getByTestId('rename-run')).toBeFocused();
  expect((await apiOk('listRuns')).runs.find((r: { id: string }) => r.id === runId).alias).toBeUndefined();
  // Enter saves.
  await page.keyboard.press('Enter');
  await expect(input).toBeFocused();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('tiny, first two steps');
  await shot(page, 'home-rename', { around: row });
  await page.keyboard.press('Enter');
  await expect(row.locator('a').first()).toHaveText('tiny, first two steps');
  await expect(row.getByTestId('scanned-name')).toHaveText(/\(library-run\)/);
  expect((await apiOk('listRuns')).runs.find((r: { id: string }) => r.id === runId).alias).toBe('tiny, first two steps');
  // The run's page and its figures use the name.
  await page.goto(`${srv.url}#/run/${encodeURIComponent(runId)}/overview`);
  await expect(page.locator('.runhead h1')).toHaveText('tiny, first two steps');

  // Remove: the dialog opens on Cancel, says the files stay; Escape keeps the run.
  await page.goto(srv.url);
  await row.waitFor();
  await row.getByTestId('remove-run').focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(folder);
  await expect(dialog).toContainText('are not touched');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await shot(page, 'home-remove-dialog');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(row.getByTestId('remove-run')).toBeFocused();
  await expect(row).toHaveCount(1);
  // Enter, Tab to "Remove from library", Enter: gone from the list and the API, files on disk.
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByTestId('confirm-remove')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(row).toHaveCount(0);
  expect((await apiOk('listRuns')).runs.map((r: { id: string }) => r.id)).not.toContain(runId);
  for (const step of steps) expect(existsSync(join(folder, `step_${step}`, 'model.safetensors')), `step ${step} kept`).toBe(true);
});
