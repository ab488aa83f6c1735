// The Analyze panel's checkpoint subset: steps / every fields (common/subset.ts syntax), the
// estimate before starting, measured vs estimated once done.
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYSIS_TIMEOUT_MS, check, root, test } from './fixtures';

test('Analyze panel: steps 0,8 analyses only those checkpoints with an estimate first; the rest is then estimated with them cached', async ({ page, srv, apiOk, shot }) => {
  // A step-folder run of the tiny demo's first 5 checkpoints (steps 0, 1, 2, 4, 8).
  const hub = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
  const steps = readdirSync(join(hub, 'refs')).filter((r) => /^step\d+$/.test(r)).map((r) => Number(r.slice(4))).sort((a, b) => a - b).slice(0, 5);
  const sub = join(srv.tmp, 'subset-run');
  for (const step of steps) {
    const commit = readFileSync(join(hub, 'refs', `step${step}`), 'utf8').trim();
    const folder = join(sub, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(hub, 'snapshots', commit, f), join(folder, f));
  }
  const opened = await apiOk('openPaths', { paths: [sub] });
  const runId: string = opened.runs[0].id;
  await page.goto(`${srv.url}#/run/${encodeURIComponent(runId)}/overview`);
  await page.locator('input[name=analysis][value=weights]').check();
  await page.locator('input[name=analysis][value=fits]').uncheck();
  const estimate = page.locator('[data-testid=analyze-estimate]');
  await estimate.filter({ hasText: 'on 5 checkpoint(s)' }).waitFor({ timeout: 15_000 });
  // A range whose ends are swapped is said at once and cannot start.
  await page.locator('[data-testid=analyze-steps]').fill('8:0');
  await page.getByRole('alert').filter({ hasText: 'the first step is after the last' }).waitFor();
  check(await page.locator('[data-testid=start-analysis]').isDisabled(), 'Start is disabled while the steps are wrong');
  await page.locator('[data-testid=analyze-steps]').fill(`${steps[0]},${steps[4]}`);
  await estimate.filter({ hasText: '4 units on 2 checkpoint(s)' }).waitFor({ timeout: 15_000 });
  const est = await apiOk('estimateAnalysis', { runId, analyses: ['weights'], subset: { steps: [steps[0], steps[4]] } });
  check(est.units === 4 && est.fits, `API estimate: ${JSON.stringify(est)}`);
  await page.locator('[data-testid=start-analysis]').click();
  const job = page.locator('[data-testid=job][data-state=done]');
  await job.waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
  const detail = (await job.textContent()) ?? '';
  check(detail.includes(`steps ${steps[0]},${steps[4]}`), `the job names its checkpoints: ${detail}`);
  check(/took .* \(estimated .*\), peak .* \(estimated .*\)/.test(detail), `the job compares measured and estimated: ${detail}`);
  const mine = (await apiOk('listJobs')).jobs.find((j: { runId: string }) => j.runId === runId);
  check(mine.total === 4 && mine.done === 4 && mine.measured && mine.estimate, `API job: ${JSON.stringify(mine)}`);
  await shot(page, 'analyze-subset');
  // All checkpoints again: the two analysed are counted as cached in the estimate.
  await page.locator('[data-testid=analyze-steps]').fill('');
  await estimate.filter({ hasText: '(4 cached)' }).waitFor({ timeout: 15_000 });
});
