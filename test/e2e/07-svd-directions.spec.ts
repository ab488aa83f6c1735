// SVD directions: the token table per block and head, its CSV, and closeness to the final checkpoint.
import { check, downloaded, test, type Series } from './fixtures';

interface Direction {
  block: number;
  component: string;
  head: number | null;
  index: number;
  tokens: unknown[];
  singular_value?: number;
  singularValue?: number;
}

test('SVD directions: token table per block and closeness-to-final curves', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['svd-directions']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/svd`);
  const rows = page.locator('table.tokens tbody tr');
  await rows.first().waitFor({ timeout: 30_000 });
  const n = await rows.count();
  // The table (final checkpoint, first group in depth order) lists exactly that group's
  // directions of the stored frame.
  const series: Series = await apiOk('frames', { runId: demo.id, kind: 'svd_directions', tensor: 'svd_directions' });
  const last = series.frames.at(-1) as { directions: Direction[] } | null;
  check(last && Array.isArray(last.directions), 'the final checkpoint has directions');
  const caption = (await page.locator('table.tokens caption').textContent()) ?? '';
  const first = last.directions.filter((d) => d.block === 0 && caption.includes(`${d.component}${d.head === null ? '' : ` head ${d.head}`} ·`));
  const group = first.filter((d) => d.component === first[0]?.component && d.head === first[0]?.head);
  check(group.length > 0 && n === group.length, `table rows ${n} = stored directions ${group.length} (${caption})`);
  const firstRowTokens = await rows.first().locator('td.toklist').first().locator('code').count();
  check(firstRowTokens === group.find((d) => d.index === 0)?.tokens.length, 'first direction lists its stored tokens');
  await page.locator('.svd [data-drawn]').waitFor();
  // Export > CSV of the token table (built in the page): one line per shown direction.
  await page.locator('[data-testid=export-svd] [data-testid=export-button]').click();
  const svdDownloading = page.waitForEvent('download', { timeout: 30_000 });
  await page.locator('[data-testid=export-svd]').getByRole('menuitem', { name: /^CSV/ }).click();
  const svdLines = (await downloaded(await svdDownloading)).toString('utf8').trimEnd().split('\n');
  check(svdLines[0] === 'direction,singular_value,top_tokens_pos,top_tokens_neg' && svdLines.length - 1 === n, `SVD CSV has ${svdLines.length - 1} directions for ${n} table rows`);
  const d0 = group.find((d) => d.index === 0)!;
  const s0 = d0.singular_value ?? d0.singularValue;
  check(svdLines[1].startsWith(`0,${s0},`), `first direction's singular value ${s0}: ${svdLines[1].slice(0, 60)}`);
  await page.waitForTimeout(300);
  await shot(page, 'svd-directions');
});
