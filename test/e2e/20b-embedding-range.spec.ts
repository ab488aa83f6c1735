// Embedding correlation over a chosen token range (300..363, outside the stored 0..255) for both
// demo runs side by side on one timeline: token strings on the axes with whitespace visible, a
// cell read by keyboard equal to the engine's number, a bad range refused with a clear message.
import { check, chooseRuns, expect, test, type RunSummary } from './fixtures';

test('embedding correlation: chosen range, token strings, two runs on one timeline', async ({ page, srv, apiOk, shot }) => {
  const { runs } = (await apiOk('listRuns')) as { runs: RunSummary[] };
  const demo = runs.filter((r) => r.source === 'demo');
  test.skip(demo.length < 2, `needs the two demo runs, the engine lists ${demo.length}`);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo[0].id)}/embeddings`);
  // Earlier specs may have opened more runs of the same family: show the two demo runs only.
  await page.locator('[data-testid=run-choice]').first().waitFor();
  await chooseRuns(page, demo.map((r) => r.id));
  await page.locator('[data-testid=range-from]').fill('300');
  await page.locator('[data-testid=range-to]').fill('363');
  await page.locator('[data-testid=order-select]').selectOption('id');
  await page.locator('[data-testid=range-apply]').click();
  const panels = page.locator('.tokcorr');
  await expect(panels).toHaveCount(2, { timeout: 30_000 });
  await expect(panels.first()).toContainText('tokens 300–363');
  const names = await panels.evaluateAll((els) => els.map((e) => e.getAttribute('data-run')));
  check(demo.every((r) => names.includes(r.name)), `panels of both runs: ${names}`);
  // Token strings on the axes, whitespace made visible (BPE pieces with a leading space).
  const xLabels = await panels.first().locator('[data-testid=token-x-label]').allTextContents();
  expect(xLabels).toHaveLength(32);
  check(xLabels.some((t) => t.startsWith('␣')), `some x labels start with a visible space: ${xLabels.slice(0, 10)}`);
  const yLabels = await panels.first().locator('[data-testid=token-y-label]').allTextContents();
  expect(yLabels[0]).toMatch(/^300 /);

  // Keyboard: the cell right of the first is tokens 300 x 301; its r is the engine's.
  const first = panels.first();
  const runName = await first.getAttribute('data-run');
  const run = demo.find((r) => r.name === runName)!;
  const checkpointId = (await first.getAttribute('data-checkpoint'))!;
  await first.locator('[data-testid=tokcorr-canvas]').focus();
  await page.keyboard.press('ArrowRight');
  const readout = await first.locator('[data-testid=tokcorr-readout]').textContent();
  const api = await apiOk('embeddingCorrelation', { runId: run.id, checkpointId, from: 300, to: 364, order: 'id' });
  const bytes = Buffer.from(api.frame.matrix.$f32, 'base64');
  const r01 = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)[1];
  const shown = Number(/r = (-?[\d.e+-]+)/.exec(readout ?? '')?.[1]);
  check(Math.abs(shown - r01) < 1e-4, `readout "${readout}" vs engine r(300, 301) = ${r01}`);
  check((readout ?? '').startsWith(`300 ${api.labels[0].replace(/ /g, '␣')} × 301 `), `readout names both tokens: ${readout}`);
  await page.locator('[data-testid=order-select]').selectOption('cluster');
  await expect(first).toContainText('average-linkage clustering of the final checkpoint');
  await shot(page, 'embedding-range');

  // One timeline: Home shows step 0 in every panel.
  await page.locator('[data-testid=tokcorr-step]').focus();
  await page.keyboard.press('Home');
  await expect(page.locator('.tokcorr[data-checkpoint=step0]')).toHaveCount(2);

  // A range too large: refused before asking the engine, in words.
  await page.locator('[data-testid=range-from]').fill('0');
  await page.locator('[data-testid=range-to]').fill('600');
  await page.locator('[data-testid=range-apply]').click();
  await expect(page.locator('[data-testid=range-error]')).toContainText('at most 512 tokens at once');
});
