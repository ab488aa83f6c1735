// Issue 20 with issue 18's tokens seen: runs compared on one timeline aligned by tokens. Three runs:
// the two demo runs (2048 tokens per step, read from their training logs) and a step-folder copy of
// the tiny demo with no token counts, given 4096 tokens per step by the user (setTokensPerStep), so
// at one token count it is at half the demo's step. The Animations overlay names each run's step
// and tokens at a chosen frame (the rule: each run at its frame at or before that token count,
// computed here from getRun and frames by a plain scan), its SVG still draws the same words, and
// the GIF dialog counts, and the GIF holds, one frame per token count where a run has a frame.
// SVD directions side by side align the same way, each column naming its run's step and tokens.
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { SVD_FRAME_KIND, SVD_TENSOR } from '../../common/analyses/svd-directions';
import { formatStep } from '../../common/charts/format';
import { check, downloaded, expect, test, type RunSummary } from './fixtures';
import { gifBlocks } from './gif-blocks';
import { openDemoAndSeedRuns } from './seed-runs';

const SEED_TOKENS_PER_STEP = 4096;

interface Run {
  summary: RunSummary;
  /** step -> tokens of its present checkpoints (getRun: read counts or the user's tokens per step). */
  tokens: Map<number, number>;
}

let made: { tiny: RunSummary; small: RunSummary; seed: RunSummary } | null = null;

async function tokenRuns(apiOk: (m: string, b?: object) => Promise<any>, analyse: (id: string, a: string[]) => Promise<void>, tmp: string, analyses: string[]) {
  if (!made) {
    const { tiny, small, seeds } = await openDemoAndSeedRuns(apiOk, join(tmp, 'tokens-runs'), [1.05], () => [0, 64, 256, 512, 1000]);
    const seed = seeds[0];
    await apiOk('setTokensPerStep', { runId: seed.id, tokensPerStep: SEED_TOKENS_PER_STEP });
    made = { tiny, small, seed };
  }
  for (const r of Object.values(made)) await analyse(r.id, analyses);
  return made;
}

// The step-folder run leaves the library when this file is done (later specs list the demo family's runs).
test.afterAll(async ({ apiOk }) => {
  if (made) await apiOk('removeRun', { runId: made.seed.id });
  made = null;
});

async function withTokens(apiOk: (m: string, b?: object) => Promise<any>, summary: RunSummary): Promise<Run> {
  const { run } = await apiOk('getRun', { runId: summary.id });
  const tokens = new Map<number, number>();
  for (const c of run.checkpoints as Array<{ step: number | null; tokens: number | null; missing: boolean }>) if (!c.missing && c.step !== null && c.tokens !== null) tokens.set(c.step, c.tokens);
  return { summary, tokens };
}

/** The run's latest framed step whose tokens are <= x (plain scan), or null. */
function stepAt(run: Run, framed: number[], x: number): number | null {
  let best: number | null = null;
  for (const s of framed) if (run.tokens.get(s)! <= x && (best === null || s > best)) best = s;
  return best;
}

async function exportFile(page: Page, box: Locator, format: RegExp, onDialog?: () => Promise<void>): Promise<{ bytes: Buffer; name: string }> {
  await box.locator('[data-testid=export-button]').click();
  const downloading = page.waitForEvent('download', { timeout: 180_000 });
  await box.getByRole('menuitem', { name: format }).click();
  if (onDialog) await onDialog();
  const download = await downloading;
  return { bytes: await downloaded(download), name: download.suggestedFilename() };
}

test('Animations of three runs aligned by tokens: each run at its checkpoint at a token count; SVG, PNG and GIF of it', async ({ page, srv, apiOk, analyse, shot }) => {
  const { tiny, small, seed } = await tokenRuns(apiOk, analyse, srv.tmp, ['weights']);
  const runs = [await withTokens(apiOk, tiny), await withTokens(apiOk, small), await withTokens(apiOk, seed)];
  // The fixture: the demo runs read 2048 tokens per step, the copy has the user's 4096.
  for (const [s, t] of runs[0].tokens) check(t === s * 2048, `tiny step ${s}: ${t} tokens`);
  for (const [s, t] of runs[2].tokens) check(t === s * SEED_TOKENS_PER_STEP, `seed step ${s}: ${t} tokens`);

  await page.goto(`${srv.url}#/run/${encodeURIComponent(tiny.id)}/animations?compare=${small.id},${seed.id}&x=tokens`);
  await expect(page.getByTestId('x-unit')).toHaveValue('tokens');
  const panel = page.locator('[data-testid=anim-histogram][data-runs="3"]');
  await panel.locator('[data-drawn]').waitFor({ timeout: 30_000 });
  const tensor = await page.locator('#an-tensor').inputValue();
  const framed = await Promise.all(runs.map(async (r) => {
    const s = (await apiOk('frames', { runId: r.summary.id, kind: 'histogram', tensor })) as { steps: number[]; frames: unknown[] };
    return s.steps.filter((_, i) => s.frames[i] !== null);
  }));
  // The view's timeline: every run's checkpoints in tokens; the export's frames: token counts with a frame.
  const timeline = [...new Set(runs.flatMap((r) => [...r.tokens.values()]))].sort((a, b) => a - b);
  const frameTokens = [...new Set(runs.flatMap((r, k) => framed[k].map((s) => r.tokens.get(s)!)))].sort((a, b) => a - b);
  // A token count where the runs' steps differ and the copy is between checkpoints: tiny's step 1000
  // (2.048M tokens); the copy's step 512 is 2.097M, so it shows step 256.
  const target = runs[0].tokens.get(1000)!;
  const want = runs.map((r, k) => stepAt(r, framed[k], target));
  expect(want).toEqual([1000, 1000, 256]);

  const slider = page.locator('[data-testid=timeline-slider]');
  await slider.focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < timeline.indexOf(target); i++) await page.keyboard.press('ArrowRight');
  await expect(panel).toHaveAttribute('data-step', String(target));
  await expect(page.getByTestId('frame-label')).toContainText(`${formatStep(target)} tokens (3 runs)`);
  const label = runs.map((r, k) => `${r.summary.name} @ ${formatStep(r.tokens.get(want[k]!)!)} tokens (step ${formatStep(want[k]!)})`).join(' · ');
  await expect(panel).toHaveAttribute('data-frame-label', new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · `));
  await shot(page, 'compare-animations-tokens');

  // The still: the same frame drawn by the engine, every run with its step and tokens.
  const box = page.locator('[data-testid=export-histogram]');
  const svg = await exportFile(page, box, /^SVG/);
  check(svg.name.includes(`tokens${target}`) && svg.name.includes('vs-3-runs'), `the file names the token count and the comparison: ${svg.name}`);
  const text = svg.bytes.toString('utf8');
  for (const [k, r] of runs.entries()) check(text.includes(`${r.summary.name} @ ${formatStep(r.tokens.get(want[k]!)!)} tokens (step ${formatStep(want[k]!)})`), `the SVG says ${r.summary.name} is at step ${want[k]}`);
  const png = (await exportFile(page, box, /^PNG/)).bytes;
  check(png.subarray(1, 4).toString('latin1') === 'PNG' && png.readUInt32BE(16) > 0, 'a PNG');

  // The GIF: the dialog counts one frame per token count where a run has a frame, and the file holds them.
  const gif = await exportFile(page, box, /^GIF/, async () => {
    const summary = page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])');
    await summary.waitFor({ timeout: 30_000 });
    await expect(summary).toHaveAttribute('data-frames', String(frameTokens.length));
    await expect(page.locator('[data-testid=gif-options]')).toContainText('Tokens seen');
    await page.keyboard.press('Enter');
  });
  const blocks = gifBlocks(new Uint8Array(gif.bytes));
  check(blocks.frames.length === frameTokens.length, `one GIF frame per token count with a frame: ${blocks.frames.length} vs ${frameTokens.length}`);
  // By step the same runs make fewer frames (the copy's steps are the demo's): the count follows the alignment.
  const frameSteps = new Set(framed.flat());
  check(frameSteps.size < frameTokens.length, `by step ${frameSteps.size} frames, by tokens ${frameTokens.length}`);
});

test('SVD directions side by side aligned by tokens: each column names its run step and tokens', async ({ page, srv, apiOk, analyse, shot }) => {
  const { tiny, seed } = await tokenRuns(apiOk, analyse, srv.tmp, ['weights']);
  for (const r of [tiny, seed]) await analyse(r.id, ['svd-directions']);
  const runs = [await withTokens(apiOk, tiny), await withTokens(apiOk, seed)];
  await page.goto(`${srv.url}#/run/${encodeURIComponent(tiny.id)}/svd?compare=${seed.id}&x=tokens`);
  const tables = page.locator('[data-testid=svd-run-table]');
  await expect(tables).toHaveCount(2, { timeout: 30_000 });
  await expect(page.getByTestId('x-unit')).toHaveValue('tokens');
  const framed = await Promise.all(runs.map(async (r) => {
    const s = (await apiOk('frames', { runId: r.summary.id, kind: SVD_FRAME_KIND, tensor: SVD_TENSOR })) as { steps: number[]; frames: unknown[] };
    return s.steps.filter((_, i) => s.frames[i] !== null);
  }));
  const positions = [...new Set(runs.flatMap((r, k) => framed[k].map((s) => r.tokens.get(s)!)))].sort((a, b) => a - b);
  check(positions.length > 0, 'SVD directions computed');
  const slider = page.locator('[data-testid=timeline-slider]');
  await slider.focus();
  // Every position: each column at its latest frame at or before that token count, captioned with it.
  for (let i = 0; i < positions.length; i++) {
    await page.keyboard.press(i === 0 ? 'Home' : 'ArrowRight');
    await expect(page.getByTestId('frame-label')).toContainText(`${formatStep(positions[i])} tokens (2 runs)`);
    for (const [k, r] of runs.entries()) {
      const step = stepAt(r, framed[k], positions[i]);
      const table = tables.nth(k);
      await expect(table).toHaveAttribute('data-step', step === null ? '' : String(step));
      if (step !== null) await expect(table.locator('caption')).toContainText(`step ${formatStep(step)} · ${formatStep(r.tokens.get(step)!)} tokens`);
    }
  }
  await shot(page, 'compare-svd-tokens');
});
