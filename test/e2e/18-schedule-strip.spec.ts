// Issue 18: the learning-rate curve (and loss) can sit under every plot. The Overview and the
// Animations view get a "loss & learning rate" toggle (off by default, ?lr=1 in the address) that
// shows a strip of the run's training log under the panels; its learning-rate values are the API's
// (getRun's trainingLog), in order, and it follows the page's step/tokens axis.
import { expect, test } from './fixtures';

test('issue 18: loss and learning-rate strip under the Overview and Animations', async ({ page, srv, apiOk, analyse, demo }) => {
  await analyse(demo.id, ['weights']);
  const run = (await apiOk('getRun', { runId: demo.id })).run as { trainingLog: Array<{ step: number; learning_rate?: number; loss?: number }> };
  const lr = run.trainingLog.filter((e) => typeof e.learning_rate === 'number').map((e) => e.learning_rate!);
  expect(lr.length).toBeGreaterThan(1);

  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview`);
  await page.locator('[data-testid=heatmap-panel]').first().waitFor();
  await expect(page.getByTestId('schedule-strip')).toHaveCount(0);
  await page.getByTestId('schedule-toggle').check();
  expect(page.url()).toContain('lr=1');
  const chart = page.getByTestId('schedule-chart');
  await expect(chart).toHaveAttribute('data-drawn', /\d+/);
  await expect(chart).toHaveAttribute('data-lr-count', String(lr.length));
  expect((await chart.getAttribute('data-lr-values'))!.split(',').map(Number)).toEqual(lr);
  await expect(chart).toHaveAttribute('aria-label', /learning rate/);
  await expect(chart).toHaveAttribute('data-x-unit', 'step');
  // The strip follows the page's axis: on tokens its axis is named so.
  await page.getByTestId('x-unit').selectOption('tokens');
  await expect(chart).toHaveAttribute('data-x-unit', 'tokens');
  await page.getByTestId('schedule-toggle').uncheck();
  await expect(page.getByTestId('schedule-strip')).toHaveCount(0);
  expect(page.url()).not.toContain('lr=1');

  // The address keeps the choice: the Animations view opened with lr=1 shows the strip.
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations?lr=1`);
  await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('schedule-toggle')).toBeChecked();
  await expect(page.getByTestId('schedule-chart')).toHaveAttribute('data-lr-count', String(lr.length));
});
