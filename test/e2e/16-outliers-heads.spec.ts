// Issue 19 items 1-2 in the app on the demo run: the Outliers tab draws the max |x| ever per
// block from the cached max_abs (each bar the largest over checkpoints), the outlier dimensions of
// a chosen depth and one checkpoint's profile; the Head spectra tab draws the heads x checkpoints
// heatmap of a block and the chosen head matrix's spectrum (s_max and MP edge as the API's frame),
// with the power-law QQ beside it; both reachable and operable by keyboard.
import { expect, test, type Grid } from './fixtures';

test('issue 19: outliers view', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['activations']);
  const grid = (await apiOk('scalarGrid', { runId: demo.id, metric: 'max_abs' })) as Grid;
  const depths = grid.tensors.map((t, i) => ({ t: t.tensor, i })).filter((x) => /^resid\.\d+$/.test(x.t)).sort((a, b) => Number(a.t.slice(6)) - Number(b.t.slice(6)));
  const want = depths.map(({ i }) => Math.max(...grid.values[i].filter((v): v is number => v !== null)));
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/outliers`);
  const bars = page.locator('[data-testid=outliers-bars][data-drawn]');
  await bars.waitFor();
  await expect(bars).toHaveAttribute('data-max-ever', want.join('|'));
  await expect(bars).toHaveAttribute('aria-label', `Max |x| ever per block, ${demo.name}`);
  const dims = page.locator('[data-testid=outliers-dims][data-drawn]');
  await dims.waitFor();
  // The profile's top dimensions are those of the API's last frame.
  const series = await apiOk('frames', { runId: demo.id, kind: 'outlier_dims', tensor: 'resid.1' });
  const last = series.frames[series.frames.length - 1];
  await expect(page.locator('[data-testid=outliers-profile]')).toHaveAttribute('data-top', last.top_dims.join('|'));
  await shot(page, 'outliers');
  await dims.scrollIntoViewIfNeeded();
  await shot(page, 'outliers-dims', { around: dims });
  await page.evaluate(() => window.scrollTo(0, 0));

  // The depth select (a native select: keyboard operable) changes the stream shown and the address.
  const select = page.locator('#outliers-depth');
  await select.focus();
  await select.selectOption('3');
  await expect(page).toHaveURL(/depth=3/);
  const s3 = await apiOk('frames', { runId: demo.id, kind: 'outlier_dims', tensor: 'resid.3' });
  await expect(page.locator('[data-testid=outliers-profile]')).toHaveAttribute('data-top', s3.frames[s3.frames.length - 1].top_dims.join('|'));
  await expect(page.locator('[data-testid=outliers-dims]')).toHaveAttribute('aria-label', /resid\.3/);
});

test('issue 19: head spectra view', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['head-spectra']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/heads?block=1&part=k&head=2`);
  const heat = page.locator('[data-testid=heads-heatmap][data-drawn]');
  await heat.waitFor();
  const g = (await apiOk('scalarGrid', { runId: demo.id, metric: 'spike_ratio' })) as Grid;
  const heads = g.tensors.filter((t) => /^attn\.1\.head\.\d+\.q$/.test(t.tensor)).length;
  expect(heads).toBeGreaterThan(1);
  await expect(heat).toHaveAttribute('data-rows', ['q', 'k', 'v'].flatMap((p) => Array.from({ length: heads }, (_, h) => `attn.1.head.${h}.${p}`)).join('|'));
  const series = await apiOk('frames', { runId: demo.id, kind: 'head_spectrum', tensor: 'attn.1.head.2.k' });
  const last = series.frames[series.frames.length - 1];
  const spectrum = page.locator('[data-testid=heads-spectrum][data-drawn]');
  await spectrum.waitFor();
  await expect(spectrum).toHaveAttribute('data-tensor', 'attn.1.head.2.k');
  await expect(spectrum).toHaveAttribute('data-step', String(series.steps[series.steps.length - 1]));
  const sMax = Number(await spectrum.getAttribute('data-s-max'));
  expect(Math.abs(sMax - (Buffer.from(last.singular_values.$f64, 'base64').readDoubleLE(0)))).toBe(0);
  await expect(spectrum).toHaveAttribute('data-mp-upper', String(last.mp_upper));
  await page.locator('[data-testid=heads-qq][data-drawn]').waitFor();
  await expect(page.getByText("WeightWatcher's spectral_norm is the largest eigenvalue s_max²", { exact: false })).toBeVisible();
  await shot(page, 'head-spectra');
  const pair = page.locator('.heads .pair');
  await pair.scrollIntoViewIfNeeded();
  await shot(page, 'head-spectra-spectrum', { around: pair });

  // Keyboard: Home on the timeline goes to the first checkpoint; the spectrum follows.
  await page.getByRole('slider').first().focus();
  await page.keyboard.press('Home');
  await expect(page.locator('[data-testid=heads-spectrum]')).toHaveAttribute('data-step', String(series.steps[0]));
});
