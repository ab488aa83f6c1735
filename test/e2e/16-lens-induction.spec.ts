// Lens & induction on the demo run: the logit-lens heatmap (block x checkpoint), one induction
// heatmap per block (head x checkpoint), both read back through the keyboard readout against the
// cached numbers; the per-token loss change table against the API; PNG export of a block's
// induction panel.
import { formatStep } from '../../common/charts/format';
import { check, downloaded, expect, test, panelsInViewDrawn } from './fixtures';

interface Grid {
  steps: number[];
  tensors: Array<{ tensor: string }>;
  values: Array<Array<number | null>>;
}

test('Lens & induction: lens heatmap, induction heatmap per block, per-token loss change', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['activations']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/probes`);
  const lens: Grid = await apiOk('scalarGrid', { runId: demo.id, metric: 'lens_loss' });
  const induction: Grid = await apiOk('scalarGrid', { runId: demo.id, metric: 'induction_score' });
  const layers = lens.tensors.filter((t) => /^resid\.\d+$/.test(t.tensor)).length - 1;
  check(layers >= 1, `lens on ${layers + 1} residual streams`);

  // Logit lens: one panel; End on its keyboard cursor reads the last checkpoint of resid.0.
  const lensPanel = page.locator('[data-testid=lens-panel] [data-testid=heatmap-panel]');
  await lensPanel.waitFor({ timeout: 60_000 });
  await panelsInViewDrawn(page);
  const lensBox = lensPanel.locator('[tabindex="0"]').first();
  await lensBox.focus();
  await page.keyboard.press('Home');
  const readout = page.locator('[data-testid=probes-readout]');
  await expect(readout).toHaveAttribute('data-tensor', /^resid\./);
  const tensor = await readout.getAttribute('data-tensor');
  const value = Number(await readout.getAttribute('data-value'));
  const step = Number(await readout.getAttribute('data-step'));
  const t = lens.tensors.findIndex((x) => x.tensor === tensor);
  check(t >= 0 && lens.values[t][lens.steps.indexOf(step)] === value, `lens readout ${tensor} step ${step} = ${value} (cache)`);

  // Induction: one panel per block, titled by block, heads as rows.
  const heads = page.locator('[data-testid=induction-panels] [data-testid=heatmap-panel]');
  await expect(heads).toHaveCount(layers);
  check((await heads.count()) === layers, `${await heads.count()} induction panels for ${layers} blocks`);
  check(induction.tensors.length % layers === 0 && induction.tensors.length > 0, `${induction.tensors.length} induction tensors over ${layers} blocks`);
  const first = heads.first().locator('[tabindex="0"]').first();
  await first.focus();
  await page.keyboard.press('End');
  await page.waitForFunction(() => document.querySelector('[data-testid=probes-readout]')?.getAttribute('data-tensor')?.startsWith('attn.0.head.'));
  const hTensor = (await readout.getAttribute('data-tensor'))!;
  const hValue = Number(await readout.getAttribute('data-value'));
  const hi = induction.tensors.findIndex((x) => x.tensor === hTensor);
  check(induction.values[hi].at(-1) === hValue, `induction readout ${hTensor} = ${hValue} (cache)`);
  // The readout says what it reads: run, metric, block, step and unit (the lens and induction panels share it).
  await expect(readout).toContainText(`${demo.name} · Induction score · attn.head · block 0 (${hTensor}) · step ${formatStep(induction.steps.at(-1)!)} = `);
  await expect(readout).toContainText('probability');

  await shot(page, 'lens-induction');
  // PNG of block 0's induction panel.
  await heads.first().locator('[data-testid=export-panel] [data-testid=export-button]').click();
  const downloading = page.waitForEvent('download', { timeout: 60_000 });
  await heads.first().locator('[data-testid=export-panel]').getByRole('menuitem', { name: /^PNG/ }).click();
  const download = await downloading;
  const png = await downloaded(download);
  check(png.subarray(1, 4).toString('latin1') === 'PNG' && png.length > 2000, `PNG of block 0's induction panel (${png.length} bytes)`);
  check(/induction_score.*attn\.head.*block0/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
  await page.keyboard.press('Escape');

  // Per-token loss change, first to last checkpoint: the table is the API's list.
  const change = await apiOk('tokenLossChange', { runId: demo.id, from: lens.steps[0], to: lens.steps.at(-1), top: 20 });
  const rows = page.locator('[data-testid=lc-tokens] tbody tr');
  await rows.first().waitFor();
  check((await rows.count()) === change.tokens.length, `${await rows.count()} rows for ${change.tokens.length} listed predictions`);
  const cells = await rows.first().locator('td').allTextContents();
  check(cells[0] === String(change.tokens[0].sequence) && cells[1] === String(change.tokens[0].position), `first row is sequence ${change.tokens[0].sequence} position ${change.tokens[0].position}`);
  check((await page.locator('[data-testid=lc-sequences] tbody tr').count()) === change.sequences.length, 'one row per sequence');
  await page.selectOption('[data-testid=lc-from]', String(lens.steps.at(-2)));
  await expect(page.locator('[data-testid=lc-tokens]')).toHaveAttribute('data-from', String(lens.steps.at(-2)));
  await page.selectOption('[data-testid=lc-from]', String(lens.steps[0]));
  await page.locator('[data-testid=loss-change]').scrollIntoViewIfNeeded();
  await shot(page, 'loss-change', { around: page.locator('[data-testid=loss-change]') });
});
