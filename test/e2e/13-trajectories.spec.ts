// Issue 18 in the app: change points on the curves (as many as the API's trajectories say), the
// forecast band, the regime timeline and learning rate in the loss strip, and the demo's tokens
// seen on the x axis (exactly the Trainer-log counts: 2048 tokens per step).
import { formatStep } from '../../common/charts/format';
import { expect, test, type Checkpoint } from './fixtures';

test('issue 18: change points, forecast, regime timeline and a tokens axis on the curves', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['weights']);
  const t = await apiOk('trajectories', { runId: demo.id, metric: 'frobenius_norm', forecast: true });
  expect(t.trajectories).toBeGreaterThan(0);
  expect(t.forecasts.length).toBe(t.trajectories);
  const last = Math.max(...(((await apiOk('getRun', { runId: demo.id })).run.checkpoints as Checkpoint[]).map((c) => c.step ?? 0)));
  expect(Math.max(...t.forecasts[0].points.map((p: { step: number }) => p.step))).toBe(2 * last);
  const timeline = await apiOk('regimeTimeline', { runId: demo.id });
  expect(timeline.metrics).toContain('frobenius_norm');

  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/curves`);
  const chart = page.locator('[data-testid=curves-chart][data-drawn]');
  await chart.waitFor();
  await expect(page.getByTestId('change-point-count')).toHaveText(` (${t.changePoints.length} in this metric)`);
  await page.getByTestId('show-forecast').check();
  await shot(page, 'curves-change-points-forecast');

  // Tokens seen: the demo's training log counts 16 x 128 tokens per step.
  const run = (await apiOk('getRun', { runId: demo.id })).run as { checkpoints: Array<Checkpoint & { tokens: number | null }> };
  expect(run.checkpoints.every((c) => c.tokens === (c.step ?? 0) * 2048)).toBe(true);
  await page.getByTestId('x-axis').selectOption('tokens');
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.3);
  const tip = chart.locator('div').filter({ hasText: /^tokens / }).last();
  await expect(tip).toBeVisible();
  const shown = (await tip.innerText()).split('\n')[0].replace(/^tokens /, '');
  expect(run.checkpoints.some((c) => formatStep(c.tokens!) === shown), `hovered ${shown} is a checkpoint's token count`).toBe(true);
  await shot(page, 'curves-tokens-axis');
});
