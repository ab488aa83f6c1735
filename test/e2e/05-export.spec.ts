// Export: figures (GIF/PNG/SVG) of a view in the engine's bytes, the GIF options dialog, CSVs
// that equal the API's grid, inline errors in the engine's words, and Export data into a folder.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, downloaded, expect, openHistogramExport, recordButtonTexts, recordedButtonTexts, test, type Checkpoint, type Grid, type Series } from './fixtures';
import { gifBlocks } from './gif-blocks';

test('the weight-histogram GIF downloads with the engine size and many frames; the Overview CSV equals scalarGrid', async ({ page, srv, api, apiOk, analyse, demo, shot, consoleErrors }) => {
  await analyse(demo.id, ['weights']);
  const { tensor, exportBox, button } = await openHistogramExport(page, srv, demo);
  await button.click();
  const menu = exportBox.getByRole('menu');
  await menu.waitFor();
  const offered = await menu.getByRole('menuitem').allTextContents();
  check(offered.some((t) => t.startsWith('GIF')) && offered.some((t) => t.startsWith('PNG')) && offered.some((t) => t.startsWith('SVG')), `histogram offers GIF, PNG, SVG: ${offered}`);
  // The menu moves focus to its first item in an effect after it renders: poll, don't sample once.
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role')), { message: 'the open menu has focus on its first item' }).toBe('menuitem');
  await shot(page, 'export');
  // Record the button's texts while it renders (React sets "Rendering GIF… n s" before the call).
  await recordButtonTexts(button, '__exportTexts');
  // GIF opens its options dialog; Enter exports with the defaults (the view's size, every checkpoint).
  await menu.getByRole('menuitem', { name: /^GIF/ }).click();
  await page.locator('[data-testid=gif-options]').waitFor();
  await page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])').waitFor({ timeout: 30_000 });
  const downloading = page.waitForEvent('download', { timeout: 120_000 });
  await page.keyboard.press('Enter');
  const download = await downloading;
  const gif = new Uint8Array(await downloaded(download));
  const texts = await recordedButtonTexts(page, '__exportTexts');
  check(texts.some((t) => /^Rendering GIF… \d+ s\|true$/.test(t)), `the button showed progress and was disabled: ${texts}`);
  const blocks = gifBlocks(gif);
  check(blocks.signature === 'GIF89a', `the file starts with GIF89a: ${blocks.signature}`);
  // The same request straight to the engine: its file has the size and frames the download has.
  const request = { runId: demo.id, format: 'gif', view: 'histogram', tensor, width: 720, height: 450, yLog: false };
  const engine = await apiOk('renderExport', request);
  const engineBlocks = gifBlocks(new Uint8Array(Buffer.from(engine.base64, 'base64')));
  check(download.suggestedFilename() === engine.filename, `download named ${download.suggestedFilename()}, engine ${engine.filename}`);
  check(gif.length === engine.bytes, `download ${gif.length} bytes, engine reports ${engine.bytes}`);
  check(blocks.width === engineBlocks.width && blocks.height === engineBlocks.height && blocks.width === 720 && blocks.height === 450, `size ${blocks.width}x${blocks.height}, engine ${engineBlocks.width}x${engineBlocks.height}`);
  const series: Series = await apiOk('frames', { runId: demo.id, kind: 'histogram', tensor });
  const computed = series.frames.filter((f) => f !== null).length;
  check(blocks.frames.length > 1 && blocks.frames.length === computed, `${blocks.frames.length} frames in the GIF, ${computed} computed histograms`);
  check(blocks.trailer, 'the GIF ends with its trailer');
  await page.locator('[data-testid=export-histogram] [data-testid=export-message]').getByText(engine.filename).waitFor();

  // Overview: Export > CSV of the current metric; every row equals scalarGrid, and the value a
  // focused panel shows is the exported one.
  const metric = 'frobenius_norm';
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview`);
  await page.locator('#ov-metric').selectOption(metric);
  const panel = page.locator('[data-testid=heatmap-panel]').first();
  await panel.waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=export-overview] [data-testid=export-button]').click();
  const csvDownloading = page.waitForEvent('download', { timeout: 60_000 });
  await page.locator('[data-testid=export-overview]').getByRole('menuitem', { name: /^CSV/ }).click();
  const csvDownload = await csvDownloading;
  const lines = readFileSync(await csvDownload.path(), 'utf8').trimEnd().split('\n');
  check(lines[0] === 'run,step,checkpoint,tensor,role,block,metric,value', `CSV header: ${lines[0]}`);
  const grid: Grid = await apiOk('scalarGrid', { runId: demo.id, metric });
  const exported = new Map();
  for (const line of lines.slice(1)) {
    const f = line.split(',') as [string, string, string, string, string, string, string, string];
    check(f.length === 8 && f[0] === demo.id, `CSV row of the run: ${line}`);
    const t = grid.tensors.findIndex((x) => x.tensor === f[3]);
    const c = grid.checkpointIds.indexOf(f[2]);
    check(t >= 0 && c >= 0 && grid.steps[c] === Number(f[1]), `CSV row names a tensor/checkpoint of the grid: ${line}`);
    check(Number(f[7]) === grid.values[t][c], `CSV ${f[7]} = scalarGrid ${grid.values[t][c]} (${f[3]} @ ${f[2]})`);
    exported.set(`${f[3]}|${f[2]}`, Number(f[7]));
  }
  const nonNull = grid.values.flat().filter((v) => v !== null).length;
  check(exported.size === nonNull && nonNull > 0, `${exported.size} CSV rows for ${nonNull} grid values`);
  await panel.locator('.chart').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowDown');
  const read = await page.locator('[data-testid=heatmap-readout]').evaluate((el) => ({ ...el.dataset }));
  check(exported.get(`${read.tensor}|${read.checkpoint}`) === Number(read.value), `shown ${read.value} = exported ${exported.get(`${read.tensor}|${read.checkpoint}`)}`);
  // Per-panel PNG of one component: a PNG file.
  const pngBox = panel.locator('[data-testid=export-panel]');
  await pngBox.locator('[data-testid=export-button]').click();
  const pngDownloading = page.waitForEvent('download', { timeout: 60_000 });
  await pngBox.getByRole('menuitem', { name: /^PNG/ }).click();
  const png = await downloaded(await pngDownloading);
  check(png.subarray(1, 4).toString('latin1') === 'PNG', 'the panel export is a PNG');

  // Curves, by keyboard only: ArrowDown on the button opens the menu on its first item, arrows
  // move, Escape closes it and gives focus back; Enter on CSV downloads the chosen component's rows.
  await page.getByRole('tab', { name: 'Curves' }).click();
  await page.locator('[data-testid=curves-chart][data-drawn]').waitFor({ timeout: 30_000 });
  // The grids arrive after the tab (the chart is drawn empty first): wait for the components.
  await page.locator('#cv-component option').first().waitFor({ state: 'attached', timeout: 30_000 });
  await expect(page.locator('[data-testid=export-curves] [data-testid=export-button]')).toBeEnabled();
  const curvesButton = page.locator('[data-testid=export-curves] [data-testid=export-button]');
  await curvesButton.focus();
  await page.keyboard.press('ArrowDown');
  const focusedItem = () => page.evaluate(() => (document.activeElement?.getAttribute('role') === 'menuitem' ? document.activeElement.textContent : null));
  await expect.poll(focusedItem, { message: 'ArrowDown opens the menu on PNG' }).toMatch(/^PNG/);
  await page.keyboard.press('ArrowDown');
  await expect.poll(focusedItem, { message: 'ArrowDown moves to SVG' }).toMatch(/^SVG/);
  await page.keyboard.press('Escape');
  check((await page.locator('[data-testid=export-curves] [role=menu]').count()) === 0, 'Escape closes the menu');
  check(await curvesButton.evaluate((el) => el === document.activeElement), 'focus is back on the Export button');
  const [component, kind] = (await page.locator('#cv-component').inputValue()).split('|');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  check((await focusedItem())?.startsWith('CSV'), `End moves to CSV: ${await focusedItem()}`);
  const curvesDownloading = page.waitForEvent('download', { timeout: 60_000 });
  await page.keyboard.press('Enter');
  const curveRows = (await downloaded(await curvesDownloading)).toString('utf8').trimEnd().split('\n').slice(1);
  const curveGrid: Grid = await apiOk('scalarGrid', { runId: demo.id, metric });
  const wanted = curveGrid.tensors.flatMap((t, i) => (t.component === component && t.kind === kind ? curveGrid.values[i].filter((v) => v !== null) : []));
  check(curveRows.length === wanted.length && wanted.length > 0, `curves CSV has the ${component} (${kind}) rows: ${curveRows.length} vs ${wanted.length}`);
  for (const line of curveRows) {
    const f = line.split(',') as [string, string, string, string, string, string, string, string];
    const t = curveGrid.tensors.findIndex((x) => x.tensor === f[3]);
    check(curveGrid.tensors[t]?.component === component && Number(f[7]) === curveGrid.values[t][curveGrid.checkpointIds.indexOf(f[2])], `curves CSV row equals scalarGrid: ${line}`);
  }

  // An engine error is shown inline, in the engine's words: the request is sent for a run that
  // does not exist (rewritten on its way), and the engine's real answer comes back.
  const badRequest = { runId: 'no-such-run', format: 'png', view: 'curves', metric, component, kind, yLog: true };
  const refused = await api('renderExport', badRequest);
  check(refused.status !== 200 && refused.body?.message, `the engine refuses an unknown run: ${JSON.stringify(refused.body)}`);
  consoleErrors.allow(/Failed to load resource/);
  await page.route('**/api/renderExport', (route) => route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData() ?? '{}'), runId: 'no-such-run' }) }));
  await curvesButton.click();
  await page.locator('[data-testid=export-curves]').getByRole('menuitem', { name: /^PNG/ }).click();
  const message = page.locator('[data-testid=export-curves] [data-testid=export-message] .error-text');
  await message.waitFor({ timeout: 30_000 });
  const shown = await message.textContent();
  check(shown === `Export PNG failed: ${refused.body.message}`, `inline error in the engine's words: ${shown}`);
  check(!(await curvesButton.isDisabled()), 'the button is usable again after an error');
  await page.unroute('**/api/renderExport');
  await shot(page, 'export-error');
  // The failed call is logged by the browser as a failed resource (HTTP 4xx): not an app error.
  
});

test('GIF options: fps 5 over a step range exports exactly those frames at 20 cs each; keyboard, memory, Escape, inline error', async ({ page, srv, api, apiOk, analyse, demo, shot, consoleErrors }) => {
  await analyse(demo.id, ['weights']);
  const { tensor, exportBox, button } = await openHistogramExport(page, srv, demo);
  const dialog = page.locator('[data-testid=gif-options]');
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);

  // The range: the 3rd to the 10th numbered checkpoint of the run; the frames the engine will
  // draw are those checkpoints that have a computed histogram (from the API, not the page).
  const { run } = (await apiOk('getRun', { runId: demo.id })) as { run: { checkpoints: Checkpoint[] } };
  const steps = [...new Set(run.checkpoints.filter((c) => !c.missing && c.step !== null).map((c) => c.step as number))].sort((a, b) => a - b);
  check(steps.length >= 10, `the demo has at least 10 numbered checkpoints: ${steps.length}`);
  const [fromIndex, toIndex] = [2, 9];
  const [a, b] = [steps[fromIndex], steps[toIndex]];
  const series: Series = await apiOk('frames', { runId: demo.id, kind: 'histogram', tensor });
  const stepOf = new Map(run.checkpoints.map((c) => [c.id, c.step]));
  const inRange = (id: string) => { const s = stepOf.get(id); return s !== null && s !== undefined && s >= a && s <= b; };
  const expected = series.checkpointIds.filter((id, i) => series.frames[i] !== null && inRange(id)).length;
  check(expected === toIndex - fromIndex + 1, `every checkpoint in ${a}..${b} has a histogram: ${expected}`);

  // Keyboard: ArrowDown opens the menu on GIF, Enter opens the dialog with focus on the frame rate.
  await button.focus();
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''), { message: 'the menu opens on GIF' }).toMatch(/^GIF/);
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  check((await dialog.getAttribute('role')) === 'dialog' && (await dialog.getAttribute('aria-modal')) === 'true', 'a modal dialog');
  check((await focused()) === 'gif-fps', `focus moves to the frame rate: ${await focused()}`);
  const summary = page.locator('[data-testid=gif-summary]');
  await page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])').waitFor({ timeout: 30_000 });
  const computed = series.frames.filter((f) => f !== null).length;
  check(((await summary.textContent()) ?? '').startsWith(`${computed} frames, ${((computed * 10) / 100).toFixed(1)} s at 10 fps`), `defaults: every frame at 10 fps: ${await summary.textContent()}`);
  // Tab order: fps, from, to, size, Cancel, Export, then back to fps (focus stays in the dialog).
  const order: Array<string | null> = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    order.push(await focused());
  }
  check(order.join(',') === 'gif-from,gif-to,gif-size,gif-cancel,gif-export,gif-fps', `Tab order: ${order}`);
  await page.keyboard.press('Shift+Tab');
  check((await focused()) === 'gif-export', `Shift+Tab from the first field wraps to Export: ${await focused()}`);

  // An inverted range is refused before any request.
  await page.locator('[data-testid=gif-from]').selectOption(String(toIndex));
  await page.locator('[data-testid=gif-to]').selectOption(String(fromIndex));
  check(await page.locator('[data-testid=gif-export]').isDisabled(), 'Export is disabled while from > to');
  check(/first step is after the last/.test((await summary.textContent()) ?? ''), `says why: ${await summary.textContent()}`);

  // fps 5, steps a..b, 640 x 480: the summary says the frame count and play time live.
  await page.locator('[data-testid=gif-fps]').fill('5');
  await page.locator('[data-testid=gif-from]').selectOption(String(fromIndex));
  await page.locator('[data-testid=gif-to]').selectOption(String(toIndex));
  await page.locator('[data-testid=gif-size]').selectOption('640x480');
  const wanted = `${expected} frames, ${((expected * 20) / 100).toFixed(1)} s at 5 fps, 640 × 480`;
  await page.waitForFunction((t) => document.querySelector('[data-testid=gif-summary]')?.textContent === t, wanted, { timeout: 5_000 });
  check(Number(await summary.getAttribute('data-frames')) === expected, `data-frames ${await summary.getAttribute('data-frames')}`);
  await shot(page, 'export-gif-options', { around: dialog });

  // Enter on a select exports; the Export button shows the render's progress meanwhile.
  const exportButton = page.locator('[data-testid=gif-export]');
  await recordButtonTexts(exportButton, '__gifTexts');
  await page.locator('[data-testid=gif-to]').focus();
  const downloading = page.waitForEvent('download', { timeout: 120_000 });
  await page.keyboard.press('Enter');
  const download = await downloading;
  const gif = new Uint8Array(await downloaded(download));
  const texts = await recordedButtonTexts(page, '__gifTexts');
  check(texts.some((t) => /^Rendering GIF… \d+ s\|true$/.test(t)), `the dialog showed progress: ${texts}`);
  const blocks = gifBlocks(gif);
  check(blocks.signature === 'GIF89a' && blocks.trailer, 'a complete GIF89a');
  check(blocks.frames.length === expected, `${blocks.frames.length} frames in the GIF, ${expected} checkpoints in steps ${a}..${b}`);
  const delays = [...new Set(blocks.frames.map((f) => f.delay))];
  check(delays.length === 1 && delays[0] === 20, `every frame lasts 1/5 s (20 cs): ${delays}`);
  check(blocks.width === 640 && blocks.height === 480, `size ${blocks.width}x${blocks.height}`);
  // The same request straight to the engine gives the same file.
  const engine = await apiOk('renderExport', { runId: demo.id, format: 'gif', view: 'histogram', tensor, width: 640, height: 480, yLog: false, fps: 5, steps: [a, b] });
  check(engine.bytes === gif.length && download.suggestedFilename() === engine.filename, `download ${gif.length} B ${download.suggestedFilename()}, engine ${engine.bytes} B ${engine.filename}`);
  await dialog.waitFor({ state: 'detached', timeout: 5_000 });
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'export-button', null, { timeout: 5_000 });
  check(await button.evaluate((el) => el === document.activeElement), 'focus is back on the Export button after the export');
  await exportBox.locator('[data-testid=export-message]').getByText(engine.filename).waitFor();

  // The choices are remembered; Escape cancels and gives focus back to the Export button.
  await button.click();
  await exportBox.getByRole('menuitem', { name: /^GIF/ }).click();
  await dialog.waitFor();
  await page.waitForFunction((t) => document.querySelector('[data-testid=gif-summary]')?.textContent === t, wanted, { timeout: 30_000 });
  check((await page.locator('[data-testid=gif-fps]').inputValue()) === '5', 'fps remembered');
  check((await page.locator('[data-testid=gif-size]').inputValue()) === '640x480', 'size remembered');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: 5_000 });
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'export-button', null, { timeout: 5_000 });

  // A failed render is shown inside the dialog in the engine's words; the dialog stays usable.
  const refused = await api('renderExport', { runId: 'no-such-run', format: 'gif', view: 'histogram', tensor, fps: 5 });
  check(refused.status !== 200 && refused.body?.message, `the engine refuses an unknown run: ${JSON.stringify(refused.body)}`);
  consoleErrors.allow(/Failed to load resource/);
  await page.route('**/api/renderExport', (route) => route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData() ?? '{}'), runId: 'no-such-run' }) }));
  await button.click();
  await exportBox.getByRole('menuitem', { name: /^GIF/ }).click();
  await page.waitForFunction((t) => document.querySelector('[data-testid=gif-summary]')?.textContent === t, wanted, { timeout: 30_000 });
  await page.locator('[data-testid=gif-export]').click();
  const inline = page.locator('[data-testid=gif-error]');
  await inline.waitFor({ timeout: 30_000 });
  check((await inline.textContent()) === `Export GIF failed: ${refused.body.message}`, `inline error: ${await inline.textContent()}`);
  check(!(await page.locator('[data-testid=gif-export]').isDisabled()), 'Export is usable again after the error');
  check((await focused()) === 'gif-export', `focus is on Export, next to the error: ${await focused()}`);
  await page.unroute('**/api/renderExport');
  await page.locator('[data-testid=gif-cancel]').click();
  await dialog.waitFor({ state: 'detached', timeout: 5_000 });
  
});

test('export data of the demo run into a folder picked in the UI', async ({ page, srv, analyse, demo }) => {
  await analyse(demo.id, ['weights']);
  const outDir = join(srv.tmp, 'export-here');
  mkdirSync(outDir, { recursive: true });
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview`);
  await page.getByRole('button', { name: 'Export data…' }).click();
  await page.getByRole('dialog').waitFor();
  await page.locator('#picker-path').fill(outDir);
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await page.locator('.entries').getByText('No sub-folders.').waitFor();
  await page.getByRole('button', { name: 'Export here' }).click();
  const status = page.locator('[data-testid=export-status]');
  await page.waitForFunction(() => /wrote \d+ file/.test(document.querySelector('[data-testid=export-status]')?.textContent ?? ''), null, { timeout: 60_000 });
  const text = await status.textContent();
  check(existsSync(join(outDir, 'scalars.csv')), `scalars.csv written (${text})`);
});
