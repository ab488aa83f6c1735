// Animations: one timeline scrubs the weight histogram, QQ plot, spectrum, embedding correlation,
// residual-stream and gradient histograms of a tensor.
import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { gifBlocks } from './gif-blocks';

const href = (runId: string, rest: string) => `#/run/${encodeURIComponent(runId)}/${rest}`;

test('scrubbing an animation with the keyboard changes the frame label', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['weights']);
  await page.goto(srv.url + href(demo.id, 'animations'));
  await page.locator('[data-testid=anim-histogram] canvas').first().waitFor({ timeout: 30_000 });
  const slider = page.locator('[data-testid=timeline-slider]');
  const label = page.locator('[data-testid=frame-label]');
  await slider.focus();
  await page.keyboard.press('Home');
  const first = await label.textContent();
  await page.keyboard.press('ArrowRight');
  const second = await label.textContent();
  expect(second, 'the label changes on ArrowRight').not.toBe(first);
  await page.keyboard.press('End');
  const last = (await label.textContent()) ?? '';
  const { run } = await apiOk('getRun', { runId: demo.id });
  const present = run.checkpoints.filter((c: { missing: boolean }) => !c.missing);
  expect(last, 'End goes to the last checkpoint').toContain(`(${present.length}/${present.length})`);
  await page.waitForTimeout(200);
  await shot(page, 'animations');
});

test('spectra and embedding: spectrum and correlation animations draw; rows reorder; the correlation GIF has every frame', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['spectra', 'embedding']);
  await page.goto(srv.url + href(demo.id, 'animations'));
  await page.locator('[data-testid=anim-spectrum] [data-drawn]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=anim-embedding_correlation] canvas').waitFor({ timeout: 30_000 });
  // Keyboard reading of the matrix: focus puts the cursor on the first cell (a token with
  // itself, r = 1); ArrowRight moves to the next token of the same row.
  await page.locator('[data-testid=corr-canvas]').focus();
  const corr = page.locator('[data-testid=corr-readout]');
  const diag = await corr.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  expect(diag.tokenI !== '' && diag.tokenI === diag.tokenJ && Math.abs(Number(diag.r) - 1) < 1e-6, `first cell is a token with itself, r = 1: ${JSON.stringify(diag)}`).toBe(true);
  await page.keyboard.press('ArrowRight');
  const next = await corr.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  expect(Number(next.tokenJ) === Number(diag.tokenJ) + 1 && next.tokenI === diag.tokenI && Math.abs(Number(next.r)) <= 1, `ArrowRight reads the next token: ${JSON.stringify(next)}`).toBe(true);
  expect(await corr.textContent(), 'the readout names both tokens').toContain(`token ${next.tokenI} × token ${next.tokenJ}`);
  await page.locator('[data-testid=reorder]').check();
  await page.getByText('(clustered order)').waitFor({ timeout: 10_000 });
  await page.locator('[data-testid=timeline-slider]').focus();
  await page.keyboard.press('End');
  await page.waitForTimeout(300);
  await shot(page, 'animations-spectra-embedding');
  // Export > GIF of the (clustered) correlation matrix: one frame per computed checkpoint.
  const corrExport = page.locator('[data-testid=export-embedding_correlation]');
  await corrExport.locator('[data-testid=export-button]').click();
  await corrExport.getByRole('menuitem', { name: /^GIF/ }).click();
  // The GIF options dialog: its defaults (the view's size, every checkpoint, 10 fps) by Enter.
  await page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])').waitFor({ timeout: 30_000 });
  const corrDownloading = page.waitForEvent('download', { timeout: 120_000 });
  await page.keyboard.press('Enter');
  const corrGif = gifBlocks(new Uint8Array(readFileSync((await (await corrDownloading).path()))));
  const { tensors } = await apiOk('listTensors', { runId: demo.id });
  const corrSeries = await apiOk('frames', { runId: demo.id, kind: 'embedding_correlation', tensor: tensors.find((t: { component: string }) => t.component === 'embed').tensor });
  const corrFrames = corrSeries.frames.filter((f: unknown) => f !== null).length;
  expect([corrGif.signature, corrGif.width, corrGif.height], 'correlation GIF').toEqual(['GIF89a', 720, 450]);
  expect(corrFrames, 'more than one computed correlation frame').toBeGreaterThan(1);
  expect(corrGif.frames.length, 'one GIF frame per computed correlation frame').toBe(corrFrames);
});

test('activations: the residual-stream histogram animates, the probe loss is in the cache', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['activations']);
  await page.goto(srv.url + href(demo.id, 'animations?tensor=resid.1'));
  await page.locator('[data-testid=anim-resid_histogram] [data-drawn]').waitFor({ timeout: 30_000 });
  await shot(page, 'animations-activations');
  await page.goto(srv.url + href(demo.id, 'curves'));
  await page.locator('#cv-metric').selectOption('max_abs');
  await page.locator('[data-testid=curves-chart][data-drawn]').waitFor();
  // The chart is drawn before the grid arrives: wait for its components before the picture.
  await page.locator('#cv-component option').first().waitFor({ state: 'attached' });
  await page.waitForTimeout(500);
  await shot(page, 'curves-activations');
  const grid = await apiOk('scalarGrid', { runId: demo.id, metric: 'loss' });
  expect(grid.tensors.some((t: { tensor: string }) => t.tensor === 'probe'), 'the probe loss is in the cache').toBe(true);
});

test('gradients: the gradient histogram of a weight plays to the last checkpoint', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['gradients']);
  const { tensors } = await apiOk('listTensors', { runId: demo.id });
  type T = { component: string; kind: string; tensor: string };
  const target: T = tensors.find((t: T) => t.component === 'mlp.in' && t.kind === 'weight') ?? tensors.find((t: T) => t.kind === 'weight');
  await page.goto(srv.url + href(demo.id, `animations?tensor=${encodeURIComponent(target.tensor)}`));
  await page.getByLabel('Gradient histogram', { exact: true }).check();
  await page.locator('[data-testid=anim-grad_histogram] [data-drawn]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=timeline-slider]').focus();
  await page.keyboard.press('End');
  await page.waitForTimeout(300);
  const subtitle = (await page.locator('[data-testid=frame-label]').textContent()) ?? '';
  const series = await apiOk('frames', { runId: demo.id, kind: 'grad_histogram', tensor: target.tensor });
  expect(series.frames.at(-1), 'the last checkpoint has a gradient histogram').not.toBeNull();
  expect(subtitle, 'the timeline is at the last checkpoint').toContain(series.checkpointIds.at(-1));
  await shot(page, 'animations-gradients');
});

test('issue 15 #13 and #11: MLP hidden activations have their own histograms, not a place in the weight menu; mlp.act panels say what they measure', async ({ page, srv, apiOk, analyse, demo }) => {
  await analyse(demo.id, ['activations']);
  const { tensors } = await apiOk('listTensors', { runId: demo.id });
  const mlpAct = (tensors as Array<{ tensor: string; component: string }>).filter((t) => t.component === 'mlp.act');
  expect(mlpAct.length, 'the activations analysis stores MLP hidden activations').toBeGreaterThan(0);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations`);
  await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor();
  const weightMenu = await page.locator('#an-tensor option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(weightMenu.filter((v) => mlpAct.some((t) => t.tensor === v)), 'no MLP activation in the weight menu').toEqual([]);
  const target = mlpAct[0].tensor;
  await page.locator('#an-resid').selectOption(target);
  await page.getByLabel('Activation histogram', { exact: true }).check();
  const panel = page.locator('[data-testid=anim-resid_histogram]');
  await panel.locator('[data-drawn]').waitFor();
  await expect(panel.locator('[role=img]')).toHaveAttribute('aria-label', `MLP hidden activation histogram of ${target}`);
  const series = await apiOk('frames', { runId: demo.id, kind: 'resid_histogram', tensor: target });
  expect(series.frames.filter((f: unknown) => f !== null).length, 'histograms of the MLP activation are stored').toBeGreaterThan(1);
  // Overview: the mlp.act panel of "max |x|" names MLP activations, not the residual stream.
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview?metric=max_abs`);
  const act = page.locator('[data-testid=heatmap-panel][data-component="mlp.act"] .chart');
  await act.waitFor();
  await expect(act).toHaveAttribute('aria-label', /^MLP activation max \|x\| heatmap of /);
});
