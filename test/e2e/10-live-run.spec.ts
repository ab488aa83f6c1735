// A run still training: checkpoints written while its page is open appear by themselves.
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, root, test } from './fixtures';

test('a checkpoint written while its page is open appears by itself', async ({ page, srv, apiOk }) => {
  // A step-folder run made of the tiny demo's first checkpoints; then the "trainer" writes one more.
  const hub = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
  const steps = readdirSync(join(hub, 'refs')).filter((r) => /^step\d+$/.test(r)).map((r) => Number(r.slice(4))).sort((a, b) => a - b).slice(0, 3);
  const live = join(srv.tmp, 'live-run');
  const writeStep = (step: number) => {
    const commit = readFileSync(join(hub, 'refs', `step${step}`), 'utf8').trim();
    const folder = join(live, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(hub, 'snapshots', commit, f), join(folder, f));
  };
  writeStep(steps[0]);
  writeStep(steps[1]);
  const opened = await apiOk('openPaths', { paths: [live] });
  check(opened.runs.length === 1, `one run opened: ${JSON.stringify(opened)}`);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(opened.runs[0].id)}/overview`);
  const meta = page.locator('.runhead .meta');
  await meta.waitFor();
  await page.waitForFunction(() => /^2 checkpoints/.test(document.querySelector('.runhead .meta')?.textContent ?? ''));
  writeStep(steps[2]);
  await page.waitForFunction(() => /^3 checkpoints/.test(document.querySelector('.runhead .meta')?.textContent ?? ''), null, { timeout: 20_000 });
  const run = (await apiOk('getRun', { runId: opened.runs[0].id })).run;
  check(run.checkpoints.length === 3, `the engine lists 3 checkpoints: ${run.checkpoints.length}`);
});
