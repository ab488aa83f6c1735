// Issue 18: the learning-rate curve (and loss) can sit under every plot. The Overview and the
// Animations view get a "loss & learning rate" toggle (off by default, ?lr=1 in the address) that
// shows a strip of the run's training log under the panels; its learning-rate values are the API's
// (getRun's trainingLog), in order, and it follows the page's step/tokens axis.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { DEMO_HUB } from './seed-runs';

/**
 * A Trainer run (`checkpoint-N/` + trainer_state.json) of the tiny demo's weights at `steps` that
 * saw `tokensPerStep` tokens per step (twice the demo's 2048): on tokens its columns reach twice
 * as far as the demo's.
 */
function writeTrainerRun(dir: string, steps: number[], tokensPerStep: number): string {
  const folder = join(dir, 'atlas-demo-tiny-trainer-4k');
  const log = steps.map((step) => ({ step, loss: 6.4 - step / 1000, learning_rate: step < 100 ? (6e-4 * step) / 100 : 6e-4, num_input_tokens_seen: step * tokensPerStep }));
  for (const step of steps) {
    const commit = readFileSync(join(DEMO_HUB, 'refs', `step${step}`), 'utf8').trim();
    const at = join(folder, `checkpoint-${step}`);
    mkdirSync(at, { recursive: true });
    for (const f of readdirSync(join(DEMO_HUB, 'snapshots', commit))) copyFileSync(join(DEMO_HUB, 'snapshots', commit, f), join(at, f));
    writeFileSync(join(at, 'trainer_state.json'), JSON.stringify({ global_step: step, num_input_tokens_seen: step * tokensPerStep, log_history: log.filter((e) => e.step <= step) }));
  }
  return folder;
}

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

test('issue 18: strips of runs compared on tokens share one x range', async ({ page, srv, apiOk, analyse, demo }) => {
  const opened = await apiOk('openPaths', { paths: [writeTrainerRun(join(srv.tmp, 'strip-runs'), [0, 64, 512, 1000, 2000, 2600], 4096)] });
  const other = opened.runs.find((r: { name: string }) => r.name === 'atlas-demo-tiny-trainer-4k');
  expect(other, JSON.stringify(opened)).toBeTruthy();
  try {
    await analyse(demo.id, ['weights']);
    await analyse(other.id, ['weights']);
    const last = (await apiOk('getRun', { runId: other.id })).run.checkpoints.find((c: { step: number }) => c.step === 2600);
    expect(last.tokens).toBe(2600 * 4096);
    for (const scale of ['log', 'linear']) {
      await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview?compare=${encodeURIComponent(other.id)}&x=tokens&lr=1&steps=${scale}`);
      if ((await page.locator('#ov-steps').inputValue()) !== scale) await page.locator('#ov-steps').selectOption(scale);
      await page.locator('[data-testid=heatmap-panel]').first().waitFor();
      const charts = page.getByTestId('schedule-chart');
      await expect(charts).toHaveCount(2);
      for (const c of await charts.all()) await expect(c).toHaveAttribute('data-x-unit', 'tokens');
      // One range for both runs, reaching the 4k run's last checkpoint (each strip fitted its own before).
      await expect(async () => {
        const extents = await Promise.all((await charts.all()).map((c) => c.getAttribute('data-x-extent')));
        expect(extents[0]).toBe(extents[1]);
        const hi = Number(extents[0]!.split(',')[1]);
        expect(hi).toBeGreaterThan(scale === 'log' ? Math.log10(2600 * 4096) : 2600 * 4096);
      }).toPass({ timeout: 15_000 });
    }
  } finally {
    await apiOk('removeRun', { runId: other.id });
  }
});
