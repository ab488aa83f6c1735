// Issue 18 item 5 in the app: the Co-update tab draws the API's clustered correlation of per-block
// update sizes per step (rows in the API's order, the readout's r equal to the API's matrix),
// keyboard reachable; the matrix grouping switches to weight matrices and, after the head-updates
// analysis, to attention heads. The demo's update per step
// does not peak at step 512 as its dist_to_prev does (checkpoint spacing).
import { expect, test, type Grid } from './fixtures';

test('issue 18: update per step and the co-update view', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['weights']);
  const perStep = (await apiOk('scalarGrid', { runId: demo.id, metric: 'update_per_step' })) as Grid;
  const dist = (await apiOk('scalarGrid', { runId: demo.id, metric: 'dist_to_prev' })) as Grid;
  const peakStep = (g: Grid): number => {
    let best = { v: -Infinity, step: -1 };
    g.values.forEach((row) => row.forEach((v, j) => v !== null && v > best.v && (best = { v, step: g.steps[j]! })));
    return best.step;
  };
  // Every value is dist_to_prev over the step gap.
  const t = dist.tensors.findIndex((x) => x.tensor === perStep.tensors[0].tensor);
  for (let j = 1; j < perStep.steps.length; j++) {
    const d = dist.values[t][j]!;
    expect(Math.abs(perStep.values[0][j]! - d / (perStep.steps[j]! - perStep.steps[j - 1]!))).toBeLessThan(1e-12 * Math.max(1, d));
  }
  expect(peakStep(dist)).toBe(512);
  expect(peakStep(perStep)).not.toBe(512);

  const r = await apiOk('coUpdate', { runId: demo.id, group: 'block' });
  expect(r.names.length).toBeGreaterThan(2);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/coupdate`);
  const chart = page.locator('[data-testid=coupdate-chart][data-drawn]');
  await chart.waitFor();
  await expect(chart).toHaveAttribute('data-order', r.order.map((u: number) => r.names[u]).join('|'));
  await expect(chart).toHaveAttribute('aria-label', /Co-update heatmap, .* per block .* intervals/);
  // Keyboard: focus the chart, arrow keys move the cursor; the readout's r is the API's.
  await chart.focus();
  for (const key of ['ArrowDown', 'ArrowDown', 'ArrowRight', 'ArrowRight']) await page.keyboard.press(key); // first press puts the cursor on (0, 0)
  const n = r.names.length;
  const want = r.matrix[r.order[1] * n + r.order[2]];
  const readout = page.getByTestId('coupdate-readout');
  await expect(readout).toHaveAttribute('data-r', String(want));
  await expect(readout).toContainText(`${r.labels[r.order[1]]} × ${r.labels[r.order[2]]}`);
  await shot(page, 'co-update-blocks');

  await page.getByTestId('coupdate-group').selectOption('tensor');
  const m = await apiOk('coUpdate', { runId: demo.id, group: 'tensor' });
  await expect(page.locator('[data-testid=coupdate-chart]')).toHaveAttribute('data-rows', String(m.names.length));
  await shot(page, 'co-update-matrices');

  // Per attention head (the head-updates analysis): rows "L<block>.h<head>" in the API's clustered
  // order, the readout's r the API's, the choice kept in the address (rows=head).
  await analyse(demo.id, ['head-updates']);
  const h = await apiOk('coUpdate', { runId: demo.id, group: 'head' });
  const run = (await apiOk('getRun', { runId: demo.id })).run as { config: { layers: number; heads: number } };
  expect(h.names.length).toBe(run.config.layers * run.config.heads);
  expect(h.labels).toContain(`L${run.config.layers - 1}.h${run.config.heads - 1}`);
  await page.getByTestId('coupdate-group').selectOption('head');
  expect(page.url()).toContain('rows=head');
  const heads = page.locator('[data-testid=coupdate-chart][data-drawn]');
  await expect(heads).toHaveAttribute('data-order', h.order.map((u: number) => h.names[u]).join('|'));
  await expect(heads).toHaveAttribute('aria-label', /Co-update heatmap, .* per attention head .* intervals/);
  await heads.focus();
  for (const key of ['ArrowDown', 'ArrowDown', 'ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
  const hn = h.names.length;
  await expect(readout).toHaveAttribute('data-r', String(h.matrix[h.order[1] * hn + h.order[2]]));
  await expect(readout).toContainText(`${h.labels[h.order[1]]} × ${h.labels[h.order[2]]}`);
  await shot(page, 'co-update-heads');
});
