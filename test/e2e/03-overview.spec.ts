// Overview: starting the weights analysis from the run page, the block x checkpoint heatmaps, the
// hover/keyboard readout against the API's grid, and the tabs by keyboard.
import { ANALYSIS_TIMEOUT_MS, expect, panelsInViewDrawn, test } from './fixtures';

test('weights analysis of the demo runs to the end; a heatmap value equals scalarGrid', async ({ page, srv, apiOk, demo, shot }) => {
  await page.goto(srv.url);
  await page.locator(`[data-run-id="${demo.id}"] a`).first().click();
  await page.getByRole('tab', { name: 'Overview' }).waitFor();
  await page.locator('input[name=analysis][value=weights]').check();
  await page.locator('[data-testid=start-analysis]').click();
  await page.locator('[data-testid=job-progress]').first().waitFor({ state: 'visible', timeout: 30_000 });
  await shot(page, 'analysis-progress');
  await expect(page.locator('[data-testid=job]:is([data-state=running], [data-state=queued])')).toHaveCount(0, { timeout: ANALYSIS_TIMEOUT_MS });
  await page.locator('[data-testid=job][data-state=done]').first().waitFor();
  expect(await page.locator('[data-testid=job][data-state=failed]').count(), 'the job did not fail').toBe(0);
  const metric = 'frobenius_norm';
  await page.locator('#ov-metric').selectOption(metric);
  const panel = page.locator('[data-testid=heatmap-panel]').first();
  await panel.waitFor({ timeout: 30_000 });
  await page.waitForTimeout(300);
  // Hover the middle of the first panel's plot area; the readout names the cell and its value.
  const box = (await panel.locator('.chart').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.55);
  await page.waitForFunction(() => document.querySelector('[data-testid=heatmap-readout]')?.getAttribute('data-value'), null, { timeout: 5_000 });
  const read = await page.locator('[data-testid=heatmap-readout]').evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  const grid = await apiOk('scalarGrid', { runId: demo.id, metric });
  const t = grid.tensors.findIndex((x: { tensor: string }) => x.tensor === read.tensor);
  const c = grid.checkpointIds.indexOf(read.checkpoint);
  expect(t >= 0 && c >= 0, `readout names a tensor/checkpoint of the grid: ${JSON.stringify(read)}`).toBe(true);
  expect(Number(read.value), `page vs API for ${read.tensor} @ ${read.checkpoint}`).toBe(grid.values[t][c]);
  // The tooltip shows the same value to the eye.
  const tip = (await panel.locator('[data-testid=heatmap-tooltip]').textContent()) ?? '';
  expect(tip.includes(read.tensor!) && tip.includes(read.checkpoint!), `tooltip names the tensor and checkpoint: ${tip}`).toBe(true);
  // The cells are painted on the canvas laid over the chart.
  const cells = await panel.locator('[data-testid=heatmap-cells]').getAttribute('data-cells');
  expect(Number(cells), 'cells painted').toBeGreaterThan(0);
  // Keyboard: focus the panel, End = last checkpoint, Left = the one before; the readout follows.
  await panel.locator('.chart').focus();
  await page.keyboard.press('End');
  const atEnd = await page.locator('[data-testid=heatmap-readout]').getAttribute('data-checkpoint');
  await page.keyboard.press('ArrowLeft');
  const before = await page.locator('[data-testid=heatmap-readout]').getAttribute('data-checkpoint');
  expect(atEnd, 'End reads the last checkpoint').toBe(grid.checkpointIds.at(-1));
  expect(before, 'ArrowLeft reads the previous one').toBe(grid.checkpointIds.at(-2));
  await panelsInViewDrawn(page);
  await shot(page, 'overview');
  // Tabs by keyboard: focus the selected tab, Right arrow opens the next one (Curves).
  await page.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.locator('[data-testid=curves-chart]').waitFor();
  expect(await page.getByRole('tab', { name: 'Curves' }).getAttribute('aria-selected'), 'Curves tab selected').toBe('true');
  // The grids arrive after the tab: wait for the components (and so the lines) before the picture.
  await page.locator('#cv-component option').first().waitFor({ state: 'attached', timeout: 120_000 });
  await page.waitForTimeout(500);
  await shot(page, 'curves');
});

test('issue 15 #1: after the metric changes, the readout never shows the old value under the new name', async ({ page, srv, apiOk, analyse, demo }) => {
  await analyse(demo.id, ['weights']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview`);
  await page.locator('#ov-metric').selectOption('frobenius_norm');
  const panel = page.locator('[data-testid=heatmap-panel]').first();
  await panel.locator('[data-testid=heatmap-cells][data-cells]').waitFor();
  const box = (await panel.locator('.chart').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  const readout = page.locator('[data-testid=heatmap-readout]');
  await expect(readout).not.toHaveAttribute('data-value', '');
  const before = await readout.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  // The pointer stays where it is; only the metric changes (by keyboard, as a reader would).
  await page.locator('#ov-metric').selectOption('std');
  const std = await apiOk('scalarGrid', { runId: demo.id, metric: 'std' });
  await page.waitForTimeout(500);
  const after: Record<string, string | undefined> = await readout.evaluate((el) => ({ ...(el as HTMLElement).dataset, text: el.textContent ?? '' }));
  if (after.value !== '') {
    const t = std.tensors.findIndex((x: { tensor: string }) => x.tensor === after.tensor);
    const c = std.checkpointIds.indexOf(after.checkpoint);
    expect(after.metric, 'the readout names the metric now chosen').toBe('std');
    expect(Number(after.value), `readout for ${after.tensor} @ ${after.checkpoint} equals the std grid`).toBe(std.values[t][c]);
  } else {
    expect(after.text, 'no value is shown under the new name').not.toContain('Frobenius');
  }
  expect(after.value, 'not the Frobenius norm of the cell hovered before').not.toBe(before.value);
});

test('issue 15 #11: one Tab and Enter reach the first heatmap; Enter there keeps focus on the page; "1 block"', async ({ page, srv, analyse, demo }) => {
  await analyse(demo.id, ['weights']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview`);
  await page.locator('[data-testid=heatmap-cells][data-cells]').first().waitFor();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('skip-link')).toBeFocused();
  await page.keyboard.press('Enter');
  const first = page.locator('[data-testid=heatmap-panel] .chart').first();
  await expect(first, 'the first heatmap has focus').toBeFocused();
  // Grammar of the panel descriptions: a one-row panel (the embedding) says "1 block".
  const labels = await page.locator('[data-testid=heatmap-panel] .chart').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  expect(labels.some((l) => / 1 block by /.test(l)), labels.join(' | ')).toBe(true);
  expect(labels.filter((l) => / 1 blocks /.test(l))).toEqual([]);
  // Enter opens the cell's animations; focus lands on the timeline, not on the page body.
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/animations\?/);
  await expect(page.getByTestId('timeline-slider')).toBeFocused({ timeout: 15_000 });
});
