// Curves: hover values of every line at the hovered step (equal to the API's grid), one crosshair
// over the metric and loss strips, zoom and pan, smoothing, "log y" only when the axis is log.
import { blockLabel, formatStep, formatValue } from '../../common/charts/format';
import { expect, test, type Grid } from './fixtures';

test('issue 15 #5 and #11: hover values equal scalarGrid; smoothing; zoom; log y is what the axis is', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['weights']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/curves`);
  const chart = page.locator('[data-testid=curves-chart][data-drawn]');
  await chart.waitFor();
  // The chart is drawn empty before the grids arrive: wait for the components, then the lines.
  await page.locator('#cv-component option').first().waitFor({ state: 'attached' });
  await page.waitForTimeout(300);
  const [component, kind] = (await page.locator('#cv-component').inputValue()).split('|') as [string, string];
  const grid: Grid = await apiOk('scalarGrid', { runId: demo.id, metric: 'frobenius_norm' });
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.3);
  const tip = chart.locator('div').filter({ hasText: /^step / }).last();
  await expect(tip).toBeVisible();
  const text = (await tip.innerText()).split('\n');
  const stepText = text[0].replace(/^step /, '');
  const c = grid.steps.findIndex((s) => s !== null && formatStep(s) === stepText);
  expect(c, `the hovered step ${stepText} is a checkpoint of the grid`).toBeGreaterThanOrEqual(0);
  const rows = grid.tensors.map((t, i) => ({ t, v: grid.values[i][c] })).filter((r) => r.t.component === component && r.t.kind === kind && r.v !== null);
  expect(rows.length).toBeGreaterThan(1);
  for (const r of rows) {
    const line = text.find((l) => l.includes(`${blockLabel(r.t.block)}:`));
    expect(line, `a value for ${blockLabel(r.t.block)} at step ${stepText}`).toBeDefined();
    expect(line!.split(': ').at(-1)!.trim(), `${r.t.tensor} @ ${stepText}`).toBe(formatValue(r.v));
  }
  await shot(page, 'curves-hover');
  // "log y" is ticked exactly when the axis is logarithmic, for every component.
  for (const value of await page.locator('#cv-component option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))) {
    await page.locator('#cv-component').selectOption(value);
    const scale = await page.getByTestId('curves-chart').getAttribute('data-y-scale');
    expect(await page.getByTestId('log-y').isChecked(), `${value}: log y ticked iff the axis is log (${scale})`).toBe(scale === 'log');
  }
  // Smoothing: the subtitle says so (the faint raw lines are checked in the unit tests).
  await page.getByTestId('smoothing').fill('0.6');
  await expect(page.locator('#cv-smoothing + output')).toHaveText('0.60');
  // Zoom with the wheel over the plot, then Reset zoom.
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.3);
  await page.mouse.wheel(0, -600);
  await page.waitForTimeout(300);
  await shot(page, 'curves-smoothed-zoomed');
  await page.getByTestId('reset-zoom').click();
});
