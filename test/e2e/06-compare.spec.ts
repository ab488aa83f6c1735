// Side by side: two runs' heatmaps on one page, on a shared colour scale.
import { ANALYSIS_TIMEOUT_MS, check, panelsInViewDrawn, test, type RunSummary } from './fixtures';

test('two runs side by side', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  const { runs } = (await apiOk('listRuns')) as { runs: RunSummary[] };
  test.skip(runs.length < 2, `needs two runs, the engine lists ${runs.length}`);
  await analyse(demo.id, ['weights']);
  const [a, b] = [demo, runs.find((r) => r.id !== demo.id)!];
  const job = await apiOk('startAnalysis', { runId: b.id, analyses: ['weights'] });
  const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
  for (;;) {
    const { jobs } = await apiOk('listJobs');
    const j = jobs.find((x: { jobId: string }) => x.jobId === job.jobId);
    if (j && j.state === 'done') break;
    check(j && j.state !== 'failed' && j.state !== 'cancelled', `second run's job ${j?.state}: ${j?.error}`);
    check(Date.now() < deadline, 'second analysis finished in time');
    await new Promise((r) => setTimeout(r, 500));
  }
  await page.goto(`${srv.url}#/run/${encodeURIComponent(a.id)}/overview`);
  await page.locator(`[data-testid=compare-run][value="${b.id}"]`).check();
  await page.locator(`[data-testid=heatmap-panel][data-run-id="${b.id}"]`).first().waitFor({ timeout: 30_000 });
  const ids = await page.locator('[data-testid=heatmap-panel]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-run-id')))]);
  check(ids.includes(a.id) && ids.includes(b.id), `panels of both runs: ${ids}`);
  await panelsInViewDrawn(page);
  await shot(page, 'side-by-side');
});
