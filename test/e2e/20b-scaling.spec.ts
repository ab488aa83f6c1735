// Scaling view over the two demo sizes: the residual stream's max-ever |x| per depth fraction
// against parameters, matched at a common step; the table shows the engine's numbers, the slider
// moves the matched step, and PNG/SVG/GIF/CSV exports hold both runs.
import { check, chooseRuns, downloaded, expect, test, type RunSummary } from './fixtures';

test('scaling view: two demo sizes, max-ever residual outlier vs parameters, exports', async ({ page, srv, apiOk, analyse, shot }) => {
  const { runs } = (await apiOk('listRuns')) as { runs: RunSummary[] };
  const demo = runs.filter((r) => r.source === 'demo');
  test.skip(demo.length < 2, `needs the two demo sizes, the engine lists ${demo.length} demo runs`);
  for (const r of demo) await analyse(r.id, ['activations']);
  const ids = demo.map((r) => r.id);
  const api = await apiOk('scaling', { runIds: ids, metric: 'max_abs', reduce: 'max-ever' });
  check(api.runs.every((r: { params: number | null }) => r.params !== null && r.params > 10_000), `parameter counts: ${JSON.stringify(api.runs.map((r: { params: number }) => r.params))}`);
  check(new Set(api.runs.map((r: { params: number }) => r.params)).size === 2, 'two different sizes');
  expect(api.series).toHaveLength(5);

  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo[0].id)}/scaling`);
  // Earlier specs may have opened more runs of the same family: show the two demo sizes only.
  await page.locator('[data-testid=run-choice]').first().waitFor();
  await chooseRuns(page, ids);
  const chart = page.locator('[data-testid=scaling-chart]');
  await chart.and(page.locator('[data-drawn]')).waitFor({ timeout: 30_000 });
  await expect(chart).toHaveAttribute('data-runs', '2');
  // The table: one row per run with the closed-form count and the five depth values the API gave.
  const table = page.locator('[data-testid=scaling-table]');
  for (const r of api.runs as Array<{ name: string; params: number; values: number[] }>) {
    const row = table.locator('tbody tr', { has: page.locator(`th:text-is("${r.name}")`) });
    await expect(row).toContainText(r.params.toLocaleString('en'));
    const cells = await row.locator('td').allTextContents();
    check(cells.length === 2 + 5 + 1, `cells of ${r.name}: ${cells}`);
    r.values.forEach((v, i) => check(Math.abs(Number(cells[2 + i]) - v) <= 1e-3 * Math.abs(v), `${r.name} depth ${i}: shown ${cells[2 + i]}, API ${v}`));
  }
  const slopes = await page.locator('[data-testid=scaling-slope]').allTextContents();
  check(slopes.length === 5 && slopes.every((s) => Number.isFinite(Number(s))), `five log-log slopes: ${slopes}`);
  await expect(page.locator('[data-testid=scaling-at-label]')).toHaveText(`max up to step ${api.at}`);
  await shot(page, 'scaling');

  // Keyboard: Home moves the matched point to the first step.
  await page.locator('[data-testid=scaling-at]').focus();
  await page.keyboard.press('Home');
  await expect(page.locator('[data-testid=scaling-at-label]')).toHaveText('max up to step 0');
  await page.keyboard.press('End');

  const exportBox = page.locator('[data-testid=export-scaling]');
  const files: Record<string, Buffer> = {};
  for (const format of ['png', 'svg', 'gif', 'csv']) {
    await exportBox.locator('[data-testid=export-button]').click();
    const [download] = await Promise.all([page.waitForEvent('download'), exportBox.locator(`[data-format=${format}]`).click()]);
    files[format] = await downloaded(download);
    check(download.suggestedFilename().endsWith(`.${format}`), `${format}: ${download.suggestedFilename()}`);
  }
  expect(files.png.subarray(1, 4).toString()).toBe('PNG');
  expect(files.gif.subarray(0, 6).toString()).toBe('GIF89a');
  const svg = files.svg.toString('utf8');
  const csv = files.csv.toString('utf8');
  for (const r of demo) {
    check(svg.includes(r.name), `SVG names ${r.name}`);
    check(csv.includes(`${r.name},${r.id}`), `CSV rows of ${r.name}`);
  }
  expect(csv.trim().split('\n')).toHaveLength(1 + 2 * 5);
});
