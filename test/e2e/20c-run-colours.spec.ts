// Issue 20: a run's colour is the run's own (RunSummary.colourSlot, kept in the cache), the same in
// the run selector, every view and the exports, and removing a run from a comparison leaves the
// others' colours as they were; a seed group drawn as its mean with a band in the Overview. The
// seed runs are the tiny demo with every weight scaled by 0.9 and 1.1 (seed-runs.ts, the Curves
// test's fixture), so the group's mean and band are closed forms of the demo's values.
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { runStyles } from '../../common/charts/compare';
import { check, downloaded, expect, panelsInViewDrawn, test, type Grid, type RunSummary } from './fixtures';
import { openDemoAndSeedRuns } from './seed-runs';

const FACTORS = [0.9, 1.1] as const;
let made: { tiny: RunSummary; small: RunSummary; seed1: RunSummary; seed2: RunSummary } | null = null;

async function runsOf(apiOk: (m: string, b?: object) => Promise<any>, analyse: (id: string, a: string[]) => Promise<void>, tmp: string) {
  if (!made) {
    const { tiny, small, seeds } = await openDemoAndSeedRuns(apiOk, join(tmp, 'colour-seed-runs'), FACTORS, (all) => [0, 64, 512, all[all.length - 1]]);
    const [seed1, seed2] = seeds;
    made = { tiny, small, seed1, seed2 };
  }
  for (const r of Object.values(made)) await analyse(r.id, ['weights']);
  return made;
}

test.afterAll(async ({ apiOk }) => {
  if (made) for (const r of [made.seed1, made.seed2]) await apiOk('removeRun', { runId: r.id });
  made = null;
});

const chipColours = (page: Page) => page.locator('[data-testid=run-chip]').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-run-id'), e.getAttribute('data-colour')])));

test('each run keeps its own colour: chips, Overview columns, Curves and the exported SVG; removing a run moves no other', async ({ page, srv, apiOk, analyse, shot }) => {
  const { tiny, small, seed1, seed2 } = await runsOf(apiOk, analyse, srv.tmp);
  const { runs } = (await apiOk('listRuns')) as { runs: Array<RunSummary & { colourSlot: number }> };
  const ids = [tiny.id, small.id, seed1.id, seed2.id];
  // The views' one function over the slots the API returns.
  const want = runStyles(ids.map((id) => ({ id, colourSlot: runs.find((r) => r.id === id)?.colourSlot })));
  for (const id of ids) check(Number.isInteger(runs.find((r) => r.id === id)?.colourSlot), `${id} has a colour slot`);

  await page.goto(`${srv.url}#/run/${encodeURIComponent(tiny.id)}/overview?compare=${small.id},${seed1.id},${seed2.id}`);
  await page.locator(`[data-testid=heatmap-panel][data-run-id="${seed2.id}"]`).first().waitFor({ timeout: 30_000 });
  const before = await chipColours(page);
  expect(before).toEqual(Object.fromEntries(ids.map((id) => [id, want.get(id)!.colour])));
  check(new Set(Object.values(before)).size === 4, `four runs, four colours: ${JSON.stringify(before)}`);
  const swatches = await page.locator('[data-testid=overview-column]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-run-id'), getComputedStyle(e.querySelector('.swatch')!).backgroundColor]));
  const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  expect(swatches).toEqual(ids.map((id) => [id, rgb(want.get(id)!.colour)]));

  // Remove the second run (small): the colours of the others stay.
  await page.getByRole('button', { name: `Stop comparing ${small.name}` }).click();
  await expect(page.locator('[data-testid=run-chip]')).toHaveCount(3);
  await expect.poll(() => decodeURIComponent(page.url())).toContain(`compare=${seed1.id},${seed2.id}`);
  const after = await chipColours(page);
  expect(after).toEqual({ [tiny.id]: before[tiny.id], [seed1.id]: before[seed1.id], [seed2.id]: before[seed2.id] });
  // The user gives seed2 another colour from its chip: stored with the run, every other colour stays.
  const free = [8, 7, 6, 5].find((slot) => !Object.values(after).includes(runStyles([{ id: 'x', colourSlot: slot }]).get('x')!.colour))!;
  await page.locator(`[data-testid=run-chip][data-run-id="${seed2.id}"] [data-testid=run-colour]`).selectOption(String(free));
  const chosen = runStyles([{ id: seed2.id, colourSlot: free }]).get(seed2.id)!.colour;
  await expect(page.locator(`[data-testid=run-chip][data-run-id="${seed2.id}"]`)).toHaveAttribute('data-colour', chosen);
  expect(((await apiOk('listRuns')) as { runs: Array<RunSummary & { colourSlot: number }> }).runs.find((r) => r.id === seed2.id)?.colourSlot).toBe(free);
  expect(await chipColours(page)).toEqual({ ...after, [seed2.id]: chosen });
  after[seed2.id] = chosen;
  await panelsInViewDrawn(page);
  await shot(page, 'compare-colours-overview');

  // Curves of the same runs, and its exported SVG: each line in its run's colour.
  await page.goto(`${srv.url}#/run/${encodeURIComponent(tiny.id)}/curves?compare=${seed1.id},${seed2.id}&component=attn.qkv%7Cweight`);
  await page.locator('[data-testid=curves-chart][data-drawn]').waitFor({ timeout: 30_000 });
  const box = page.locator('[data-testid=export-curves]');
  await box.locator('[data-testid=export-button]').click();
  const downloading = page.waitForEvent('download', { timeout: 180_000 });
  await box.getByRole('menuitem', { name: /^SVG/ }).click();
  const svg = (await downloaded(await downloading)).toString('utf8');
  const strokes = new Set([...svg.matchAll(/stroke="(#[0-9a-fA-F]{6})"/g)].map((m) => m[1].toUpperCase()));
  for (const id of [tiny.id, seed1.id, seed2.id]) check(strokes.has(after[id]!.toUpperCase()), `the curves SVG draws ${id} in ${after[id]}: ${[...strokes].join(' ')}`);
  check(!strokes.has(before[small.id]!.toUpperCase()), `the removed run's colour ${before[small.id]} is not in the SVG`);
});

test('Overview: a seed group as one column of its mean; the readout gives the min-max band, the closed forms 0.9 v … 1.1 v', async ({ page, srv, apiOk, analyse, shot }) => {
  const { tiny, small, seed1, seed2 } = await runsOf(apiOk, analyse, srv.tmp);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(tiny.id)}/overview?compare=${small.id},${seed1.id},${seed2.id}&band=minmax`);
  const columns = page.locator('[data-testid=overview-column]');
  await expect(columns).toHaveCount(2, { timeout: 30_000 });
  expect(await columns.evaluateAll((els) => els.map((e) => [e.getAttribute('data-run-id'), e.getAttribute('data-members')]))).toEqual([
    [tiny.id, [tiny.id, seed1.id, seed2.id].join(',')],
    [small.id, small.id],
  ]);
  await expect(columns.first()).toContainText('atlas-demo-tiny (mean of 3 seeds)');
  const panel = page.locator(`[data-testid=heatmap-panel][data-run-id="${tiny.id}"]`).first();
  await panel.locator('[data-drawn]').waitFor({ timeout: 30_000 });
  await panel.locator('.chart').focus();
  await page.keyboard.press('End');
  const readout = page.locator('[data-testid=heatmap-readout]');
  await expect(readout).not.toHaveAttribute('data-lower', '');
  const [tensor, checkpoint] = [await readout.getAttribute('data-tensor'), await readout.getAttribute('data-checkpoint')];
  const gTiny: Grid = await apiOk('scalarGrid', { runId: tiny.id, metric: 'frobenius_norm' });
  const c = gTiny.checkpointIds.indexOf(checkpoint!);
  const v = gTiny.values[gTiny.tensors.findIndex((t) => t.tensor === tensor)][c]!;
  const vals = await Promise.all([tiny, seed1, seed2].map(async (r) => {
    const g: Grid = await apiOk('scalarGrid', { runId: r.id, metric: 'frobenius_norm' });
    return g.values[g.tensors.findIndex((t) => t.tensor === tensor)][g.steps.indexOf(gTiny.steps[c])]!;
  }));
  const [mean, lower, upper] = ['data-value', 'data-lower', 'data-upper'].map(async (a) => Number(await readout.getAttribute(a)));
  const near = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
  // Exactly the members' mean, min and max; and (float16 rounding) the closed forms v, 0.9 v, 1.1 v.
  expect(await mean).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / 3, 10);
  expect(await lower).toBe(Math.min(...vals));
  expect(await upper).toBe(Math.max(...vals));
  check(near(await mean, v, 3e-3) && near(await lower, 0.9 * v, 3e-3) && near(await upper, 1.1 * v, 3e-3), `${tensor} at ${checkpoint}: ${await mean} [${await lower}, ${await upper}] vs v = ${v}`);
  await expect(readout).toContainText('over 3 seeds');
  await panelsInViewDrawn(page);
  await shot(page, 'compare-overview-band');
});

test('Animations: the embedding correlation of every compared run side by side on the one timeline; a scaled seed has the same r', async ({ page, srv, apiOk, analyse, shot }) => {
  const { tiny, small, seed1 } = await runsOf(apiOk, analyse, srv.tmp);
  for (const r of [tiny, small, seed1]) await analyse(r.id, ['embedding']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(tiny.id)}/animations?compare=${small.id},${seed1.id}`);
  const panels = page.locator('[data-testid=corr-compare][data-runs="3"] [data-testid=anim-embedding_correlation]');
  await expect(panels).toHaveCount(3, { timeout: 30_000 });
  expect(await panels.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')))).toEqual([tiny.id, small.id, seed1.id]);
  for (let i = 0; i < 3; i++) await panels.nth(i).locator('canvas').waitFor({ timeout: 30_000 });
  const series = await Promise.all([tiny, small, seed1].map((r) => apiOk('frames', { runId: r.id, kind: 'embedding_correlation', tensor: 'gpt_neox.embed_in.weight' }) as Promise<{ steps: number[]; frames: unknown[] }>));
  const present = series.map((s) => s.steps.filter((_, i) => s.frames[i] !== null));
  const union = [...new Set(present.flat())].sort((a, b) => a - b);
  /** Each run's latest computed step at or before x. */
  const expected = (x: number) => present.map((steps) => String(Math.max(...steps.filter((s) => s <= x))));
  const slider = page.locator('[data-testid=timeline-slider]');
  await slider.focus();
  await page.keyboard.press('End');
  await expect.poll(() => panels.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(expected(union[union.length - 1]));
  // One step back on the shared timeline: a run without a checkpoint there shows its latest before it.
  await page.keyboard.press('ArrowLeft');
  const x = union[union.length - 2];
  await expect.poll(() => panels.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(expected(x));
  check(expected(x)[2] !== String(x), `the seed run has no checkpoint at ${x}: it shows ${expected(x)[2]}`);
  await page.keyboard.press('End');
  // Scaling every weight by 0.9 leaves Pearson r unchanged: the seed's cell equals the demo's (float16 rounding).
  const readR = async (k: number) => {
    await panels.nth(k).locator('[data-testid=corr-canvas]').focus();
    await page.keyboard.press('ArrowRight');
    return panels.nth(k).locator('[data-testid=corr-readout]').evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  };
  const [a, b] = [await readR(0), await readR(2)];
  check(a.tokenI === b.tokenI && a.tokenJ === b.tokenJ && Math.abs(Number(a.r) - Number(b.r)) < 5e-3, `same cell, same r: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  const colours = await panels.evaluateAll((els) => els.map((e) => getComputedStyle(e.querySelector('.swatch')!).backgroundColor));
  const chips = await chipColours(page);
  const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  expect(colours).toEqual([tiny.id, small.id, seed1.id].map((id) => rgb(chips[id]!)));
  await shot(page, 'compare-animations-embedding');
});
