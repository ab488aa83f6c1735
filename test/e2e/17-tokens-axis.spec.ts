// Issue 18: tokens seen beyond Curves. The run page's step/tokens choice (?x=tokens) puts the
// Overview heatmap columns on tokens (the tooltip names the checkpoint's exact count: the demo's
// Trainer log has 2048 tokens per step) and the Animations timeline labels follow it.
import { formatStep } from '../../common/charts/format';
import { expect, test, type Checkpoint } from './fixtures';

test('issue 18: heatmap columns and the animation timeline on tokens seen', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['weights']);
  const run = (await apiOk('getRun', { runId: demo.id })).run as { checkpoints: Array<Checkpoint & { tokens: number | null }> };
  const last = run.checkpoints.filter((c) => !c.missing).sort((a, b) => (a.step ?? 0) - (b.step ?? 0)).at(-1)!;
  expect(last.tokens).toBe(last.step! * 2048);

  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview`);
  await page.getByTestId('x-unit').selectOption('tokens');
  expect(page.url()).toContain('x=tokens');
  const panel = page.locator('[data-testid=heatmap-panel]').first();
  await panel.waitFor();
  const chart = panel.locator('.chart');
  await chart.focus();
  await page.keyboard.press('End');
  await expect(panel.getByTestId('heatmap-tooltip')).toContainText(`step ${formatStep(last.step!)} (${last.id}) · ${formatStep(last.tokens!)} tokens`);
  await expect(panel.locator('.chart')).toHaveAttribute('aria-label', /heatmap/);
  await page.keyboard.press('Escape');
  await shot(page, 'overview-tokens-axis');

  // The choice is the page's: the Animations timeline labels checkpoints by tokens too.
  await page.getByRole('tab', { name: 'Animations' }).click();
  await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('x-unit')).toHaveValue('tokens');
  await expect(page.getByTestId('frame-label')).toContainText(`tokens (step `);
  await page.getByTestId('x-unit').selectOption('step');
  await expect(page.getByTestId('frame-label')).not.toContainText('tokens');
});
