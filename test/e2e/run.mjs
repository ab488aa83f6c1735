// End-to-end tests of the explorer UI in a real Chromium (playwright-core driving the system's
// /usr/bin/chromium; no browser is ever downloaded) against the real engine: `checkpoint-atlas
// serve` on a fresh cache database. Scenarios (a)-(e) of the renderer brief; a scenario whose
// engine part does not exist yet is reported as "SKIPPED: <why>", never as passed. Prints exactly
// one summary line `N passed, M failed` and exits non-zero on any failure. Screenshots of every
// view go to a temporary folder (named in the log), or to ATLAS_E2E_SCREENSHOTS when it is set:
// `npm run screenshots` refreshes docs/screenshots/ on purpose, so a plain `npm test` never
// rewrites tracked files.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { gifBlocks } from './gif-blocks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = process.env.ATLAS_E2E_SCREENSHOTS ? resolve(root, process.env.ATLAS_E2E_SCREENSHOTS) : join(tmpdir(), 'atlas-e2e-screenshots');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/**
 * Extra folders for `serve` to open (path-delimiter separated), e.g. test fixtures while the demo
 * is not built: scenarios (c)-(e) then use the opened runs when no demo run exists.
 */
const EXTRA_PATHS = (process.env.ATLAS_E2E_OPEN ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
/** Weights analysis of the demo run must finish within this. */
const ANALYSIS_TIMEOUT_MS = Number(process.env.ATLAS_E2E_ANALYSIS_TIMEOUT_MS ?? 8 * 60_000);

const results = [];
let server = null;
let browser = null;
const tmp = mkdtempSync(join(tmpdir(), 'atlas-e2e-'));

function log(line) {
  process.stdout.write(`${line}\n`);
}

class Skip extends Error {}

/** ATLAS_E2E_ONLY=o,n runs only the scenarios so labelled (while working on one; npm test runs all). */
const ONLY = (process.env.ATLAS_E2E_ONLY ?? '').split(',').map((x) => x.trim()).filter(Boolean);

async function scenario(name, fn) {
  if (ONLY.length && !ONLY.some((o) => name.startsWith(`(${o})`))) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, status: 'passed' });
    log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    if (e instanceof Skip) {
      results.push({ name, status: 'skipped' });
      log(`SKIPPED: ${name}: ${e.message}`);
    } else {
      results.push({ name, status: 'failed' });
      log(`FAIL ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      // The page as it was at the failure, for the person reading the log.
      for (const ctx of browser?.contexts() ?? []) {
        for (const [i, p] of ctx.pages().entries()) {
          const file = join(tmpdir(), `atlas-e2e-failure-${name.slice(1, 2)}-${i}.png`);
          await p.screenshot({ path: file, fullPage: true }).then(() => log(`  screenshot of the failure: ${file}`), () => undefined);
        }
      }
    }
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Start `serve` on a fresh database and an empty HF cache; resolve with {url, token, origin}. */
function startServer() {
  const hfHome = join(tmp, 'hf-home');
  mkdirSync(hfHome, { recursive: true });
  const child = spawn(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'serve', '--db', join(tmp, 'atlas.sqlite'), '--port', '0', '--no-hub-cache', ...EXTRA_PATHS], {
    cwd: root,
    env: { ...process.env, HF_HOME: hfHome, HF_HUB_CACHE: join(hfHome, 'hub') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 180 s; stderr:\n${stderr}`)), 180_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/Serving Checkpoint Atlas on (http:\/\/127\.0\.0\.1:\d+\/\?token=([^\s]+))/);
      if (m) {
        clearTimeout(timer);
        const url = new URL(m[1]);
        resolve({ url: m[1], token: m[2], origin: url.origin });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before printing its URL; stderr:\n${stderr}`));
    });
  });
}

async function api(srv, method, body = {}, token = srv.token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${srv.origin}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  return { status: res.status, body: json };
}

async function apiOk(srv, method, body = {}) {
  const r = await api(srv, method, body);
  if (r.status !== 200) throw new Error(`${method} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A page that records console errors and uncaught exceptions. */
async function newPage(ctx) {
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return { page, errors };
}

/** The demo's Animations tab with its weight histogram drawn, and that histogram's Export menu. */
async function openHistogramExport(ctx, srv, demo) {
  const { page, errors } = await newPage(ctx);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations`);
  await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor({ timeout: 30_000 });
  const tensor = await page.locator('#an-tensor').inputValue();
  const exportBox = page.locator('[data-testid=export-histogram]');
  return { page, errors, tensor, exportBox, button: exportBox.locator('[data-testid=export-button]') };
}

/** Heatmap panels mount progressively; wait until every panel in the viewport is drawn. */
async function panelsInViewDrawn(page) {
  await page.waitForFunction(
    () => ![...document.querySelectorAll('.panelgrid [aria-busy=true]')].some((el) => el.getBoundingClientRect().top < innerHeight),
    null,
    { timeout: 30_000 },
  );
}

async function shot(page, name) {
  mkdirSync(shots, { recursive: true });
  // Panels below the fold are drawn when scrolled near: scroll through once so the full-page
  // picture shows them all.
  const height = await page.evaluate(() => document.body.scrollHeight);
  for (let y = 0; y < height; y += 600) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await page.waitForTimeout(60);
  }
  await page
    .waitForFunction(() => !document.querySelector('.panelgrid [aria-busy=true]'), null, { timeout: 20_000 })
    .catch(() => undefined);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function main() {
  if (!existsSync(join(root, 'main', 'cli.ts')) || !existsSync(join(root, 'bin', 'checkpoint-atlas.mjs'))) {
    for (const n of ['a home', 'b token', 'c analysis', 'd animation', 'e side by side']) results.push({ name: n, status: 'skipped' }), log(`SKIPPED: ${n}: the engine's serve command does not exist yet`);
    return;
  }
  const srv = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });

  let demo = null;

  await scenario('(a) home lists the demo runs with the API checkpoint counts, no console errors', async () => {
    const { runs } = await apiOk(srv, 'listRuns');
    const { page, errors } = await newPage(context);
    await page.goto(srv.url);
    if (runs.length === 0) {
      await page.getByText('No runs yet').waitFor({ timeout: 15_000 });
      await shot(page, 'home');
      throw new Skip('the engine lists no runs (no bundled demo yet)');
    }
    demo = runs.find((r) => r.source === 'demo') ?? (EXTRA_PATHS.length ? runs[0] : null);
    await page.locator('[data-testid=run-row]').first().waitFor({ timeout: 15_000 });
    const rows = await page.locator('[data-testid=run-row]').evaluateAll((els) =>
      els.map((el) => ({ id: el.getAttribute('data-run-id'), count: el.querySelector('[data-testid=checkpoint-count]')?.textContent ?? '' })),
    );
    assert(rows.length === runs.length, `${rows.length} rows for ${runs.length} runs`);
    for (const r of runs) {
      const row = rows.find((x) => x.id === r.id);
      assert(row, `run ${r.id} listed`);
      assert(Number.parseInt(row.count, 10) === r.checkpointCount, `run ${r.name}: page says ${row.count}, API ${r.checkpointCount}`);
    }
    if (!runs.some((r) => r.source === 'demo') && !EXTRA_PATHS.length) throw new Skip('no bundled demo run yet (resources/demo)');
    assert(!page.url().includes('token='), `the token is removed from the visible URL (${page.url()})`);
    await page.waitForTimeout(300);
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await shot(page, 'home');
    // The folder picker (browse) opens and lists folders.
    await page.getByRole('button', { name: 'Open folder…' }).click();
    await page.getByRole('dialog').waitFor();
    await page.locator('.entries li').first().waitFor();
    await shot(page, 'folder-picker');
    await page.keyboard.press('Escape');
    await page.close();
  });

  await scenario('(b) API refuses a missing or wrong token with 401', async () => {
    const none = await api(srv, 'listRuns', {}, null);
    assert(none.status === 401, `no token -> ${none.status}`);
    const wrong = await api(srv, 'listRuns', {}, `${srv.token.slice(0, -2)}xx`);
    assert(wrong.status === 401, `wrong token -> ${wrong.status}`);
    assert(wrong.body && wrong.body.code === 'unauthorized', `error body ${JSON.stringify(wrong.body)}`);
    const right = await api(srv, 'listRuns', {});
    assert(right.status === 200, `right token -> ${right.status}`);
  });

  let analysed = false;
  await scenario('(c) weights analysis of the demo runs to the end; a heatmap value equals scalarGrid', async () => {
    if (!demo) throw new Skip('no demo run');
    const { page, errors } = await newPage(context);
    await page.goto(srv.url);
    await page.locator(`[data-run-id="${demo.id}"] a`).first().click();
    await page.getByRole('tab', { name: 'Overview' }).waitFor();
    await page.locator('input[name=analysis][value=weights]').check();
    await page.locator('[data-testid=start-analysis]').click();
    await page.locator('[data-testid=job-progress]').first().waitFor({ state: 'visible', timeout: 30_000 });
    await shot(page, 'analysis-progress');
    await page.locator('[data-testid=job][data-state=done]').first().waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
    const failed = await page.locator('[data-testid=job][data-state=failed]').count();
    assert(failed === 0, 'the job did not fail');
    analysed = true;
    const metric = 'frobenius_norm';
    await page.locator('#ov-metric').selectOption(metric);
    const panel = page.locator('[data-testid=heatmap-panel]').first();
    await panel.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    // Hover the middle of the first panel's plot area; the readout names the cell and its value.
    const box = await panel.locator('.chart').boundingBox();
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.55);
    await page.waitForFunction(() => document.querySelector('[data-testid=heatmap-readout]')?.getAttribute('data-value'), null, { timeout: 5_000 });
    const read = await page.locator('[data-testid=heatmap-readout]').evaluate((el) => ({ ...el.dataset }));
    const grid = await apiOk(srv, 'scalarGrid', { runId: demo.id, metric });
    const t = grid.tensors.findIndex((x) => x.tensor === read.tensor);
    const c = grid.checkpointIds.indexOf(read.checkpoint);
    assert(t >= 0 && c >= 0, `readout names a tensor/checkpoint of the grid: ${JSON.stringify(read)}`);
    assert(Number(read.value) === grid.values[t][c], `page ${read.value} vs API ${grid.values[t][c]} for ${read.tensor} @ ${read.checkpoint}`);
    // The tooltip shows the same value to the eye.
    const tip = (await panel.locator('[data-testid=heatmap-tooltip]').textContent()) ?? '';
    assert(tip.includes(read.tensor) && tip.includes(read.checkpoint), `tooltip names the tensor and checkpoint: ${tip}`);
    // The cells are painted on the canvas laid over the chart.
    const cells = await panel.locator('[data-testid=heatmap-cells]').getAttribute('data-cells');
    assert(Number(cells) > 0, `cells painted: ${cells}`);
    // Keyboard: focus the panel, End = last checkpoint, Left = the one before; the readout follows.
    await panel.locator('.chart').focus();
    await page.keyboard.press('End');
    const atEnd = await page.locator('[data-testid=heatmap-readout]').getAttribute('data-checkpoint');
    await page.keyboard.press('ArrowLeft');
    const before = await page.locator('[data-testid=heatmap-readout]').getAttribute('data-checkpoint');
    assert(atEnd === grid.checkpointIds.at(-1), `End reads the last checkpoint: ${atEnd}`);
    assert(before === grid.checkpointIds.at(-2), `ArrowLeft reads the previous one: ${before}`);
    await panelsInViewDrawn(page);
    await shot(page, 'overview');
    // Tabs by keyboard: focus the selected tab, Right arrow opens the next one (Curves).
    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.locator('[data-testid=curves-chart]').waitFor();
    assert((await page.getByRole('tab', { name: 'Curves' }).getAttribute('aria-selected')) === 'true', 'Curves tab selected');
    await page.waitForTimeout(400);
    await shot(page, 'curves');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(d) scrubbing an animation with the keyboard changes the frame label', async () => {
    if (!demo) throw new Skip('no demo run');
    if (!analysed) throw new Skip('needs the weights analysis of (c)');
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations`);
    await page.locator('[data-testid=anim-histogram] canvas').first().waitFor({ timeout: 30_000 });
    const slider = page.locator('[data-testid=timeline-slider]');
    const label = page.locator('[data-testid=frame-label]');
    await slider.focus();
    await page.keyboard.press('Home');
    const first = await label.textContent();
    await page.keyboard.press('ArrowRight');
    const second = await label.textContent();
    assert(first !== second, `label changed on ArrowRight: "${first}" -> "${second}"`);
    await page.keyboard.press('End');
    const last = await label.textContent();
    const { run } = await apiOk(srv, 'getRun', { runId: demo.id });
    const present = run.checkpoints.filter((c) => !c.missing);
    assert(last.includes(`(${present.length}/${present.length})`), `End goes to the last checkpoint: ${last}`);
    // The histogram's own subtitle follows the timeline.
    await page.waitForTimeout(200);
    await shot(page, 'animations');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(d2) Export: the weight-histogram GIF downloads with the engine size and many frames; the Overview CSV equals scalarGrid', async () => {
    if (!demo) throw new Skip('no demo run');
    if (!analysed) throw new Skip('needs the weights analysis of (c)');
    const { page, errors, tensor, exportBox, button } = await openHistogramExport(context, srv, demo);
    await button.click();
    const menu = exportBox.getByRole('menu');
    await menu.waitFor();
    const offered = await menu.getByRole('menuitem').allTextContents();
    assert(offered.some((t) => t.startsWith('GIF')) && offered.some((t) => t.startsWith('PNG')) && offered.some((t) => t.startsWith('SVG')), `histogram offers GIF, PNG, SVG: ${offered}`);
    assert((await page.evaluate(() => document.activeElement?.getAttribute('role'))) === 'menuitem', 'the open menu has focus on its first item');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'export.png') });
    // Record the button's texts while it renders (React sets "Rendering GIF… n s" before the call).
    await button.evaluate((el) => {
      window.__exportTexts = [];
      new MutationObserver(() => window.__exportTexts.push(`${el.textContent}|${el.disabled}`)).observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
    });
    // GIF opens its options dialog; Enter exports with the defaults (the view's size, every checkpoint).
    await menu.getByRole('menuitem', { name: /^GIF/ }).click();
    await page.locator('[data-testid=gif-options]').waitFor();
    await page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])').waitFor({ timeout: 30_000 });
    const downloading = page.waitForEvent('download', { timeout: 120_000 });
    await page.keyboard.press('Enter');
    const download = await downloading;
    const gif = new Uint8Array(readFileSync(await download.path()));
    const texts = await page.evaluate(() => window.__exportTexts);
    assert(texts.some((t) => /^Rendering GIF… \d+ s\|true$/.test(t)), `the button showed progress and was disabled: ${texts}`);
    const blocks = gifBlocks(gif);
    assert(blocks.signature === 'GIF89a', `the file starts with GIF89a: ${blocks.signature}`);
    // The same request straight to the engine: its file has the size and frames the download has.
    const request = { runId: demo.id, format: 'gif', view: 'histogram', tensor, width: 720, height: 450, yLog: false };
    const engine = await apiOk(srv, 'renderExport', request);
    const engineBlocks = gifBlocks(new Uint8Array(Buffer.from(engine.base64, 'base64')));
    assert(download.suggestedFilename() === engine.filename, `download named ${download.suggestedFilename()}, engine ${engine.filename}`);
    assert(gif.length === engine.bytes, `download ${gif.length} bytes, engine reports ${engine.bytes}`);
    assert(blocks.width === engineBlocks.width && blocks.height === engineBlocks.height && blocks.width === 720 && blocks.height === 450, `size ${blocks.width}x${blocks.height}, engine ${engineBlocks.width}x${engineBlocks.height}`);
    const series = await apiOk(srv, 'frames', { runId: demo.id, kind: 'histogram', tensor });
    const computed = series.frames.filter((f) => f !== null).length;
    assert(blocks.frames.length > 1 && blocks.frames.length === computed, `${blocks.frames.length} frames in the GIF, ${computed} computed histograms`);
    assert(blocks.trailer, 'the GIF ends with its trailer');
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
    assert(lines[0] === 'run,step,checkpoint,tensor,role,block,metric,value', `CSV header: ${lines[0]}`);
    const grid = await apiOk(srv, 'scalarGrid', { runId: demo.id, metric });
    const exported = new Map();
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      assert(f.length === 8 && f[0] === demo.id, `CSV row of the run: ${line}`);
      const t = grid.tensors.findIndex((x) => x.tensor === f[3]);
      const c = grid.checkpointIds.indexOf(f[2]);
      assert(t >= 0 && c >= 0 && grid.steps[c] === Number(f[1]), `CSV row names a tensor/checkpoint of the grid: ${line}`);
      assert(Number(f[7]) === grid.values[t][c], `CSV ${f[7]} = scalarGrid ${grid.values[t][c]} (${f[3]} @ ${f[2]})`);
      exported.set(`${f[3]}|${f[2]}`, Number(f[7]));
    }
    const nonNull = grid.values.flat().filter((v) => v !== null).length;
    assert(exported.size === nonNull && nonNull > 0, `${exported.size} CSV rows for ${nonNull} grid values`);
    await panel.locator('.chart').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowDown');
    const read = await page.locator('[data-testid=heatmap-readout]').evaluate((el) => ({ ...el.dataset }));
    assert(exported.get(`${read.tensor}|${read.checkpoint}`) === Number(read.value), `shown ${read.value} = exported ${exported.get(`${read.tensor}|${read.checkpoint}`)}`);
    // Per-panel PNG of one component: a PNG file.
    const pngBox = panel.locator('[data-testid=export-panel]');
    await pngBox.locator('[data-testid=export-button]').click();
    const pngDownloading = page.waitForEvent('download', { timeout: 60_000 });
    await pngBox.getByRole('menuitem', { name: /^PNG/ }).click();
    const png = readFileSync(await (await pngDownloading).path());
    assert(png.subarray(1, 4).toString('latin1') === 'PNG', 'the panel export is a PNG');

    // Curves, by keyboard only: ArrowDown on the button opens the menu on its first item, arrows
    // move, Escape closes it and gives focus back; Enter on CSV downloads the chosen component's rows.
    await page.getByRole('tab', { name: 'Curves' }).click();
    await page.locator('[data-testid=curves-chart][data-drawn]').waitFor({ timeout: 30_000 });
    const curvesButton = page.locator('[data-testid=export-curves] [data-testid=export-button]');
    await curvesButton.focus();
    await page.keyboard.press('ArrowDown');
    const focusedItem = () => page.evaluate(() => (document.activeElement?.getAttribute('role') === 'menuitem' ? document.activeElement.textContent : null));
    assert((await focusedItem())?.startsWith('PNG'), `ArrowDown opens the menu on PNG: ${await focusedItem()}`);
    await page.keyboard.press('ArrowDown');
    assert((await focusedItem())?.startsWith('SVG'), `ArrowDown moves to SVG: ${await focusedItem()}`);
    await page.keyboard.press('Escape');
    assert((await page.locator('[data-testid=export-curves] [role=menu]').count()) === 0, 'Escape closes the menu');
    assert(await curvesButton.evaluate((el) => el === document.activeElement), 'focus is back on the Export button');
    const [component, kind] = (await page.locator('#cv-component').inputValue()).split('|');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    assert((await focusedItem())?.startsWith('CSV'), `End moves to CSV: ${await focusedItem()}`);
    const curvesDownloading = page.waitForEvent('download', { timeout: 60_000 });
    await page.keyboard.press('Enter');
    const curveRows = readFileSync(await (await curvesDownloading).path(), 'utf8').trimEnd().split('\n').slice(1);
    const curveGrid = await apiOk(srv, 'scalarGrid', { runId: demo.id, metric });
    const wanted = curveGrid.tensors.flatMap((t, i) => (t.component === component && t.kind === kind ? curveGrid.values[i].filter((v) => v !== null) : []));
    assert(curveRows.length === wanted.length && wanted.length > 0, `curves CSV has the ${component} (${kind}) rows: ${curveRows.length} vs ${wanted.length}`);
    for (const line of curveRows) {
      const f = line.split(',');
      const t = curveGrid.tensors.findIndex((x) => x.tensor === f[3]);
      assert(curveGrid.tensors[t]?.component === component && Number(f[7]) === curveGrid.values[t][curveGrid.checkpointIds.indexOf(f[2])], `curves CSV row equals scalarGrid: ${line}`);
    }

    // An engine error is shown inline, in the engine's words: the request is sent for a run that
    // does not exist (rewritten on its way), and the engine's real answer comes back.
    const badRequest = { runId: 'no-such-run', format: 'png', view: 'curves', metric, component, kind, yLog: true };
    const refused = await api(srv, 'renderExport', badRequest);
    assert(refused.status !== 200 && refused.body?.message, `the engine refuses an unknown run: ${JSON.stringify(refused.body)}`);
    await page.route('**/api/renderExport', (route) => route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData() ?? '{}'), runId: 'no-such-run' }) }));
    await curvesButton.click();
    await page.locator('[data-testid=export-curves]').getByRole('menuitem', { name: /^PNG/ }).click();
    const message = page.locator('[data-testid=export-curves] [data-testid=export-message] .error-text');
    await message.waitFor({ timeout: 30_000 });
    const shown = await message.textContent();
    assert(shown === `Export PNG failed: ${refused.body.message}`, `inline error in the engine's words: ${shown}`);
    assert(!(await curvesButton.isDisabled()), 'the button is usable again after an error');
    await page.unroute('**/api/renderExport');
    await shot(page, 'export-error');
    // The failed call is logged by the browser as a failed resource (HTTP 4xx): not an app error.
    errors.splice(0, errors.length, ...errors.filter((e) => !/Failed to load resource/.test(e)));
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(d3) GIF options: fps 5 over a step range exports exactly those frames at 20 cs each; keyboard, memory, Escape, inline error', async () => {
    if (!demo) throw new Skip('no demo run');
    if (!analysed) throw new Skip('needs the weights analysis of (c)');
    const { page, errors, tensor, exportBox, button } = await openHistogramExport(context, srv, demo);
    const dialog = page.locator('[data-testid=gif-options]');
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);

    // The range: the 3rd to the 10th numbered checkpoint of the run; the frames the engine will
    // draw are those checkpoints that have a computed histogram (from the API, not the page).
    const { run } = await apiOk(srv, 'getRun', { runId: demo.id });
    const steps = [...new Set(run.checkpoints.filter((c) => !c.missing && c.step !== null).map((c) => c.step))].sort((a, b) => a - b);
    assert(steps.length >= 10, `the demo has at least 10 numbered checkpoints: ${steps.length}`);
    const [fromIndex, toIndex] = [2, 9];
    const [a, b] = [steps[fromIndex], steps[toIndex]];
    const series = await apiOk(srv, 'frames', { runId: demo.id, kind: 'histogram', tensor });
    const stepOf = new Map(run.checkpoints.map((c) => [c.id, c.step]));
    const expected = series.checkpointIds.filter((id, i) => series.frames[i] !== null && stepOf.get(id) !== null && stepOf.get(id) >= a && stepOf.get(id) <= b).length;
    assert(expected === toIndex - fromIndex + 1, `every checkpoint in ${a}..${b} has a histogram: ${expected}`);

    // Keyboard: ArrowDown opens the menu on GIF, Enter opens the dialog with focus on the frame rate.
    await button.focus();
    await page.keyboard.press('ArrowDown');
    assert((await page.evaluate(() => document.activeElement?.textContent ?? '')).startsWith('GIF'), 'the menu opens on GIF');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    assert((await dialog.getAttribute('role')) === 'dialog' && (await dialog.getAttribute('aria-modal')) === 'true', 'a modal dialog');
    assert((await focused()) === 'gif-fps', `focus moves to the frame rate: ${await focused()}`);
    const summary = page.locator('[data-testid=gif-summary]');
    await page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])').waitFor({ timeout: 30_000 });
    const computed = series.frames.filter((f) => f !== null).length;
    assert((await summary.textContent()).startsWith(`${computed} frames, ${((computed * 10) / 100).toFixed(1)} s at 10 fps`), `defaults: every frame at 10 fps: ${await summary.textContent()}`);
    // Tab order: fps, from, to, size, Cancel, Export, then back to fps (focus stays in the dialog).
    const order = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    assert(order.join(',') === 'gif-from,gif-to,gif-size,gif-cancel,gif-export,gif-fps', `Tab order: ${order}`);
    await page.keyboard.press('Shift+Tab');
    assert((await focused()) === 'gif-export', `Shift+Tab from the first field wraps to Export: ${await focused()}`);

    // An inverted range is refused before any request.
    await page.locator('[data-testid=gif-from]').selectOption(String(toIndex));
    await page.locator('[data-testid=gif-to]').selectOption(String(fromIndex));
    assert(await page.locator('[data-testid=gif-export]').isDisabled(), 'Export is disabled while from > to');
    assert(/first step is after the last/.test(await summary.textContent()), `says why: ${await summary.textContent()}`);

    // fps 5, steps a..b, 640 x 480: the summary says the frame count and play time live.
    await page.locator('[data-testid=gif-fps]').fill('5');
    await page.locator('[data-testid=gif-from]').selectOption(String(fromIndex));
    await page.locator('[data-testid=gif-to]').selectOption(String(toIndex));
    await page.locator('[data-testid=gif-size]').selectOption('640x480');
    const wanted = `${expected} frames, ${((expected * 20) / 100).toFixed(1)} s at 5 fps, 640 × 480`;
    await page.waitForFunction((t) => document.querySelector('[data-testid=gif-summary]')?.textContent === t, wanted, { timeout: 5_000 });
    assert(Number(await summary.getAttribute('data-frames')) === expected, `data-frames ${await summary.getAttribute('data-frames')}`);
    mkdirSync(shots, { recursive: true });
    const box = await dialog.boundingBox();
    await page.screenshot({ path: join(shots, 'export-gif-options.png'), clip: { x: box.x - 24, y: box.y - 24, width: box.width + 48, height: box.height + 48 } });

    // Enter on a select exports; the Export button shows the render's progress meanwhile.
    const exportButton = page.locator('[data-testid=gif-export]');
    await exportButton.evaluate((el) => {
      window.__gifTexts = [];
      new MutationObserver(() => window.__gifTexts.push(`${el.textContent}|${el.disabled}`)).observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
    });
    await page.locator('[data-testid=gif-to]').focus();
    const downloading = page.waitForEvent('download', { timeout: 120_000 });
    await page.keyboard.press('Enter');
    const download = await downloading;
    const gif = new Uint8Array(readFileSync(await download.path()));
    const texts = await page.evaluate(() => window.__gifTexts);
    assert(texts.some((t) => /^Rendering GIF… \d+ s\|true$/.test(t)), `the dialog showed progress: ${texts}`);
    const blocks = gifBlocks(gif);
    assert(blocks.signature === 'GIF89a' && blocks.trailer, 'a complete GIF89a');
    assert(blocks.frames.length === expected, `${blocks.frames.length} frames in the GIF, ${expected} checkpoints in steps ${a}..${b}`);
    const delays = [...new Set(blocks.frames.map((f) => f.delay))];
    assert(delays.length === 1 && delays[0] === 20, `every frame lasts 1/5 s (20 cs): ${delays}`);
    assert(blocks.width === 640 && blocks.height === 480, `size ${blocks.width}x${blocks.height}`);
    // The same request straight to the engine gives the same file.
    const engine = await apiOk(srv, 'renderExport', { runId: demo.id, format: 'gif', view: 'histogram', tensor, width: 640, height: 480, yLog: false, fps: 5, steps: [a, b] });
    assert(engine.bytes === gif.length && download.suggestedFilename() === engine.filename, `download ${gif.length} B ${download.suggestedFilename()}, engine ${engine.bytes} B ${engine.filename}`);
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'export-button', null, { timeout: 5_000 });
    assert(await button.evaluate((el) => el === document.activeElement), 'focus is back on the Export button after the export');
    await exportBox.locator('[data-testid=export-message]').getByText(engine.filename).waitFor();

    // The choices are remembered; Escape cancels and gives focus back to the Export button.
    await button.click();
    await exportBox.getByRole('menuitem', { name: /^GIF/ }).click();
    await dialog.waitFor();
    await page.waitForFunction((t) => document.querySelector('[data-testid=gif-summary]')?.textContent === t, wanted, { timeout: 30_000 });
    assert((await page.locator('[data-testid=gif-fps]').inputValue()) === '5', 'fps remembered');
    assert((await page.locator('[data-testid=gif-size]').inputValue()) === '640x480', 'size remembered');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'export-button', null, { timeout: 5_000 });

    // A failed render is shown inside the dialog in the engine's words; the dialog stays usable.
    const refused = await api(srv, 'renderExport', { runId: 'no-such-run', format: 'gif', view: 'histogram', tensor, fps: 5 });
    assert(refused.status !== 200 && refused.body?.message, `the engine refuses an unknown run: ${JSON.stringify(refused.body)}`);
    await page.route('**/api/renderExport', (route) => route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData() ?? '{}'), runId: 'no-such-run' }) }));
    await button.click();
    await exportBox.getByRole('menuitem', { name: /^GIF/ }).click();
    await page.waitForFunction((t) => document.querySelector('[data-testid=gif-summary]')?.textContent === t, wanted, { timeout: 30_000 });
    await page.locator('[data-testid=gif-export]').click();
    const inline = page.locator('[data-testid=gif-error]');
    await inline.waitFor({ timeout: 30_000 });
    assert((await inline.textContent()) === `Export GIF failed: ${refused.body.message}`, `inline error: ${await inline.textContent()}`);
    assert(!(await page.locator('[data-testid=gif-export]').isDisabled()), 'Export is usable again after the error');
    assert((await focused()) === 'gif-export', `focus is on Export, next to the error: ${await focused()}`);
    await page.unroute('**/api/renderExport');
    await page.locator('[data-testid=gif-cancel]').click();
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    errors.splice(0, errors.length, ...errors.filter((e) => !/Failed to load resource/.test(e)));
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(e) two runs side by side', async () => {
    const { runs } = await apiOk(srv, 'listRuns');
    if (runs.length < 2) throw new Skip(`needs two runs, the engine lists ${runs.length}`);
    if (!analysed) throw new Skip('needs the weights analysis of (c)');
    const [a, b] = [demo, runs.find((r) => r.id !== demo.id)];
    const job = await apiOk(srv, 'startAnalysis', { runId: b.id, analyses: ['weights'] });
    const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
    for (;;) {
      const { jobs } = await apiOk(srv, 'listJobs');
      const j = jobs.find((x) => x.jobId === job.jobId);
      if (j && j.state === 'done') break;
      assert(j && j.state !== 'failed' && j.state !== 'cancelled', `second run's job ${j?.state}: ${j?.error}`);
      assert(Date.now() < deadline, 'second analysis finished in time');
      await new Promise((r) => setTimeout(r, 500));
    }
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(a.id)}/overview`);
    await page.locator(`[data-testid=compare-run][value="${b.id}"]`).check();
    await page.locator(`[data-testid=heatmap-panel][data-run-id="${b.id}"]`).first().waitFor({ timeout: 30_000 });
    const ids = await page.locator('[data-testid=heatmap-panel]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-run-id')))]);
    assert(ids.includes(a.id) && ids.includes(b.id), `panels of both runs: ${ids}`);
    await panelsInViewDrawn(page);
    await shot(page, 'side-by-side');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  /** Run analyses through the API and wait for the job; Skip when the engine lacks them. */
  async function analyse(runId, analyses) {
    const started = await api(srv, 'startAnalysis', { runId, analyses });
    if (started.status === 501) throw new Skip(`${analyses.join('+')}: ${started.body?.message}`);
    assert(started.status === 200, `startAnalysis ${analyses} -> ${started.status} ${JSON.stringify(started.body)}`);
    const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
    for (;;) {
      const { jobs } = await apiOk(srv, 'listJobs');
      const j = jobs.find((x) => x.jobId === started.body.jobId);
      if (j && j.state === 'done') return j;
      if (j && (j.state === 'failed' || j.state === 'cancelled')) {
        if (/not implemented|not-implemented/i.test(j.error ?? '')) throw new Skip(`${analyses.join('+')}: ${j.error}`);
        throw new Error(`${analyses.join('+')} job ${j.state}: ${j.error}`);
      }
      assert(Date.now() < deadline, `${analyses.join('+')} finished in time`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  await scenario('(f) spectra and embedding: spectrum and correlation animations draw; rows reorder', async () => {
    if (!demo) throw new Skip('no demo run');
    await analyse(demo.id, ['spectra', 'embedding']);
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations`);
    await page.locator('[data-testid=anim-spectrum] [data-drawn]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=anim-embedding_correlation] canvas').waitFor({ timeout: 30_000 });
    // Keyboard reading of the matrix: focus puts the cursor on the first cell (a token with
    // itself, r = 1); ArrowRight moves to the next token of the same row.
    await page.locator('[data-testid=corr-canvas]').focus();
    const corr = page.locator('[data-testid=corr-readout]');
    const diag = await corr.evaluate((el) => ({ ...el.dataset }));
    assert(diag.tokenI !== '' && diag.tokenI === diag.tokenJ && Math.abs(Number(diag.r) - 1) < 1e-6, `first cell is a token with itself, r = 1: ${JSON.stringify(diag)}`);
    await page.keyboard.press('ArrowRight');
    const next = await corr.evaluate((el) => ({ ...el.dataset }));
    assert(Number(next.tokenJ) === Number(diag.tokenJ) + 1 && next.tokenI === diag.tokenI && Math.abs(Number(next.r)) <= 1, `ArrowRight reads the next token: ${JSON.stringify(next)}`);
    assert((await corr.textContent()).includes(`token ${next.tokenI} × token ${next.tokenJ}`), 'the readout names both tokens');
    await page.locator('[data-testid=reorder]').check();
    await page.getByText('(clustered order)').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid=timeline-slider]').focus();
    await page.keyboard.press('End');
    await page.waitForTimeout(300);
    await shot(page, 'animations-spectra-embedding');
    // Export > GIF of the (clustered) correlation matrix: one frame per computed checkpoint.
    const corrExport = page.locator('[data-testid=export-embedding_correlation]');
    await corrExport.locator('[data-testid=export-button]').click();
    await corrExport.getByRole('menuitem', { name: /^GIF/ }).click();
    // The GIF options dialog: its defaults (the view's size, every checkpoint, 10 fps) by Enter.
    await page.locator('[data-testid=gif-summary][data-frames]:not([data-frames=""])').waitFor({ timeout: 30_000 });
    const corrDownloading = page.waitForEvent('download', { timeout: 120_000 });
    await page.keyboard.press('Enter');
    const corrGif = gifBlocks(new Uint8Array(readFileSync(await (await corrDownloading).path())));
    const { tensors } = await apiOk(srv, 'listTensors', { runId: demo.id });
    const corrSeries = await apiOk(srv, 'frames', { runId: demo.id, kind: 'embedding_correlation', tensor: tensors.find((t) => t.component === 'embed').tensor });
    const corrFrames = corrSeries.frames.filter((f) => f !== null).length;
    assert(corrGif.signature === 'GIF89a' && corrGif.width === 720 && corrGif.height === 450, `correlation GIF ${corrGif.signature} ${corrGif.width}x${corrGif.height}`);
    assert(corrGif.frames.length === corrFrames && corrFrames > 1, `${corrGif.frames.length} GIF frames for ${corrFrames} computed correlation frames`);
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(g) SVD directions: token table per block and closeness-to-final curves', async () => {
    if (!demo) throw new Skip('no demo run');
    await analyse(demo.id, ['svd-directions']);
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/svd`);
    const rows = page.locator('table.tokens tbody tr');
    await rows.first().waitFor({ timeout: 30_000 });
    const n = await rows.count();
    // The table (final checkpoint, first group in depth order) lists exactly that group's
    // directions of the stored frame.
    const series = await apiOk(srv, 'frames', { runId: demo.id, kind: 'svd_directions', tensor: 'svd_directions' });
    const last = series.frames.at(-1);
    assert(last && Array.isArray(last.directions), 'the final checkpoint has directions');
    const caption = await page.locator('table.tokens caption').textContent();
    const first = last.directions.filter((d) => d.block === 0 && caption.includes(`${d.component}${d.head === null ? '' : ` head ${d.head}`} ·`));
    const group = first.filter((d) => d.component === first[0].component && d.head === first[0].head);
    assert(group.length > 0 && n === group.length, `table rows ${n} = stored directions ${group.length} (${caption})`);
    const firstRowTokens = await rows.first().locator('td.toklist').first().locator('code').count();
    assert(firstRowTokens === group.find((d) => d.index === 0).tokens.length, 'first direction lists its stored tokens');
    await page.locator('.svd [data-drawn]').waitFor();
    // Export > CSV of the token table (built in the page): one line per shown direction.
    await page.locator('[data-testid=export-svd] [data-testid=export-button]').click();
    const svdDownloading = page.waitForEvent('download', { timeout: 30_000 });
    await page.locator('[data-testid=export-svd]').getByRole('menuitem', { name: /^CSV/ }).click();
    const svdLines = readFileSync(await (await svdDownloading).path(), 'utf8').trimEnd().split('\n');
    assert(svdLines[0] === 'direction,singular_value,top_tokens_pos,top_tokens_neg' && svdLines.length - 1 === n, `SVD CSV has ${svdLines.length - 1} directions for ${n} table rows`);
    const d0 = group.find((d) => d.index === 0);
    const s0 = d0.singular_value ?? d0.singularValue;
    assert(svdLines[1].startsWith(`0,${s0},`), `first direction's singular value ${s0}: ${svdLines[1].slice(0, 60)}`);
    await page.waitForTimeout(300);
    await shot(page, 'svd-directions');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(h) activations: residual-stream histogram animates, probe loss under the curves', async () => {
    if (!demo) throw new Skip('no demo run');
    await analyse(demo.id, ['activations']);
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations?tensor=resid.1`);
    await page.locator('[data-testid=anim-resid_histogram] [data-drawn]').waitFor({ timeout: 30_000 });
    await shot(page, 'animations-activations');
    await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/curves`);
    await page.locator('#cv-metric').selectOption('max_abs');
    await page.locator('[data-testid=curves-chart][data-drawn]').waitFor();
    await page.waitForTimeout(300);
    await shot(page, 'curves-activations');
    const grid = await apiOk(srv, 'scalarGrid', { runId: demo.id, metric: 'loss' });
    assert(grid.tensors.some((t) => t.tensor === 'probe'), 'the probe loss is in the cache');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });



  await scenario('(i) gradients: the gradient histogram of a weight plays to the last checkpoint', async () => {
    if (!demo) throw new Skip('no demo run');
    await analyse(demo.id, ['gradients']);
    const { tensors } = await apiOk(srv, 'listTensors', { runId: demo.id });
    const target = tensors.find((t) => t.component === 'mlp.in' && t.kind === 'weight') ?? tensors.find((t) => t.kind === 'weight');
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations?tensor=${encodeURIComponent(target.tensor)}`);
    await page.getByLabel('Gradient histogram', { exact: true }).check();
    await page.locator('[data-testid=anim-grad_histogram] [data-drawn]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=timeline-slider]').focus();
    await page.keyboard.press('End');
    await page.waitForTimeout(300);
    const subtitle = await page.locator('[data-testid=frame-label]').textContent();
    const series = await apiOk(srv, 'frames', { runId: demo.id, kind: 'grad_histogram', tensor: target.tensor });
    assert(series.frames.at(-1) !== null, 'the last checkpoint has a gradient histogram');
    assert(subtitle.includes(series.checkpointIds.at(-1)), `timeline at the last checkpoint: ${subtitle}`);
    await shot(page, 'animations-gradients');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(j) the folder picker opens a folder without checkpoints and says so', async () => {
    const empty = join(tmp, 'no-checkpoints-here');
    mkdirSync(join(empty, 'notes'), { recursive: true });
    const { page, errors } = await newPage(context);
    await page.goto(srv.url);
    await page.getByRole('button', { name: 'Open folder…' }).click();
    await page.getByRole('dialog').waitFor();
    await page.locator('#picker-path').fill(empty);
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.getByRole('button', { name: /notes/ }).waitFor();
    await page.getByRole('button', { name: 'Open this folder' }).click();
    const notice = page.locator('[data-testid=open-result]');
    await notice.waitFor();
    const text = await notice.textContent();
    assert(text.includes(empty), `the message names the folder: ${text}`);
    assert(/no checkpoints|No checkpoint/i.test(text), `the message says nothing was found: ${text}`);
    await shot(page, 'open-folder-error');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(k) a running analysis can be cancelled from its progress bar', async () => {
    const { runs } = await apiOk(srv, 'listRuns');
    const target = runs.find((r) => r.source === 'demo' && !r.analysed.includes('gradients')) ?? null;
    if (!target) throw new Skip('every demo run already has gradients cached (nothing left to cancel)');
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(target.id)}/overview`);
    await page.locator('input[name=analysis][value=weights]').uncheck();
    await page.locator('input[name=analysis][value=activations]').check();
    await page.locator('input[name=analysis][value=gradients]').check();
    const before = new Set((await apiOk(srv, 'listJobs')).jobs.map((j) => j.jobId));
    await page.locator('[data-testid=start-analysis]').click();
    let jobId = null;
    for (let i = 0; i < 100 && !jobId; i++) {
      jobId = (await apiOk(srv, 'listJobs')).jobs.find((j) => j.runId === target.id && !before.has(j.jobId))?.jobId ?? null;
      if (!jobId) await new Promise((r) => setTimeout(r, 100));
    }
    assert(jobId, 'the Start button started a job');
    const job = page.locator(`[data-testid=job][data-job-id="${jobId}"]`);
    await job.waitFor();
    await job.getByRole('button', { name: 'Cancel' }).click({ timeout: 10_000 }).catch(() => undefined);
    await page.locator(`[data-job-id="${jobId}"]:is([data-state=cancelled], [data-state=done])`).waitFor({ timeout: 60_000 });
    const state = await job.getAttribute('data-state');
    const mine = (await apiOk(srv, 'listJobs')).jobs.find((j) => j.jobId === jobId);
    assert(mine && mine.state === state, `page state ${state} = API state ${mine?.state}`);
    if (state === 'done') throw new Skip('the job finished before Cancel could be pressed');
    await shot(page, 'analysis-cancelled');
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(l) export data of the demo run into a folder picked in the UI', async () => {
    if (!demo) throw new Skip('no demo run');
    if (!analysed) throw new Skip('needs the weights analysis of (c)');
    const outDir = join(tmp, 'export-here');
    mkdirSync(outDir, { recursive: true });
    const { page, errors } = await newPage(context);
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
    assert(existsSync(join(outDir, 'scalars.csv')), `scalars.csv written (${text})`);
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(m) Home shows where the cache lives and the compute providers', async () => {
    const info = await apiOk(srv, 'appInfo');
    const { page, errors } = await newPage(context);
    await page.goto(srv.url);
    const footer = page.locator('[data-testid=app-info]');
    await footer.waitFor();
    const text = await footer.textContent();
    assert(text.includes(info.dbPath), `footer names the cache ${info.dbPath}: ${text}`);
    for (const p of info.providers) assert(text.includes(p), `footer names provider ${p}`);
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(n) a run still training grows on screen: a checkpoint written while its page is open appears by itself', async () => {
    // A step-folder run made of the tiny demo's first checkpoints; then the "trainer" writes one more.
    const hub = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
    const steps = readdirSync(join(hub, 'refs')).filter((r) => /^step\d+$/.test(r)).map((r) => Number(r.slice(4))).sort((a, b) => a - b).slice(0, 3);
    const live = join(tmp, 'live-run');
    const writeStep = (step) => {
      const commit = readFileSync(join(hub, 'refs', `step${step}`), 'utf8').trim();
      const folder = join(live, `step_${step}`);
      mkdirSync(folder, { recursive: true });
      for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(hub, 'snapshots', commit, f), join(folder, f));
    };
    writeStep(steps[0]);
    writeStep(steps[1]);
    const opened = await apiOk(srv, 'openPaths', { paths: [live] });
    assert(opened.runs.length === 1, `one run opened: ${JSON.stringify(opened)}`);
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(opened.runs[0].id)}/overview`);
    const meta = page.locator('.runhead .meta');
    await meta.waitFor();
    await page.waitForFunction(() => /^2 checkpoints/.test(document.querySelector('.runhead .meta')?.textContent ?? ''));
    writeStep(steps[2]);
    await page.waitForFunction(() => /^3 checkpoints/.test(document.querySelector('.runhead .meta')?.textContent ?? ''), null, { timeout: 20_000 });
    const run = (await apiOk(srv, 'getRun', { runId: opened.runs[0].id })).run;
    assert(run.checkpoints.length === 3, `the engine lists 3 checkpoints: ${run.checkpoints.length}`);
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });

  await scenario('(o) Analyze panel: steps 0,8 analyses only those checkpoints with an estimate first; the rest is then estimated with them cached', async () => {
    // A step-folder run of the tiny demo's first 5 checkpoints (steps 0, 1, 2, 4, 8).
    const hub = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
    const steps = readdirSync(join(hub, 'refs')).filter((r) => /^step\d+$/.test(r)).map((r) => Number(r.slice(4))).sort((a, b) => a - b).slice(0, 5);
    const sub = join(tmp, 'subset-run');
    for (const step of steps) {
      const commit = readFileSync(join(hub, 'refs', `step${step}`), 'utf8').trim();
      const folder = join(sub, `step_${step}`);
      mkdirSync(folder, { recursive: true });
      for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(hub, 'snapshots', commit, f), join(folder, f));
    }
    const opened = await apiOk(srv, 'openPaths', { paths: [sub] });
    const runId = opened.runs[0].id;
    const { page, errors } = await newPage(context);
    await page.goto(`${srv.url}#/run/${encodeURIComponent(runId)}/overview`);
    await page.locator('input[name=analysis][value=weights]').check();
    await page.locator('input[name=analysis][value=fits]').uncheck();
    const estimate = page.locator('[data-testid=analyze-estimate]');
    await estimate.filter({ hasText: 'on 5 checkpoint(s)' }).waitFor({ timeout: 15_000 });
    // A range whose ends are swapped is said at once and cannot start.
    await page.locator('[data-testid=analyze-steps]').fill('8:0');
    await page.getByRole('alert').filter({ hasText: 'the first step is after the last' }).waitFor();
    assert(await page.locator('[data-testid=start-analysis]').isDisabled(), 'Start is disabled while the steps are wrong');
    await page.locator('[data-testid=analyze-steps]').fill(`${steps[0]},${steps[4]}`);
    await estimate.filter({ hasText: '4 units on 2 checkpoint(s)' }).waitFor({ timeout: 15_000 });
    const est = await apiOk(srv, 'estimateAnalysis', { runId, analyses: ['weights'], subset: { steps: [steps[0], steps[4]] } });
    assert(est.units === 4 && est.fits, `API estimate: ${JSON.stringify(est)}`);
    await page.locator('[data-testid=start-analysis]').click();
    const job = page.locator('[data-testid=job][data-state=done]');
    await job.waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
    const detail = (await job.textContent()) ?? '';
    assert(detail.includes(`steps ${steps[0]},${steps[4]}`), `the job names its checkpoints: ${detail}`);
    assert(/took .* \(estimated .*\), peak .* \(estimated .*\)/.test(detail), `the job compares measured and estimated: ${detail}`);
    const mine = (await apiOk(srv, 'listJobs')).jobs.find((j) => j.runId === runId);
    assert(mine.total === 4 && mine.done === 4 && mine.measured && mine.estimate, `API job: ${JSON.stringify(mine)}`);
    await shot(page, 'analyze-subset');
    // All checkpoints again: the two analysed are counted as cached in the estimate.
    await page.locator('[data-testid=analyze-steps]').fill('');
    await estimate.filter({ hasText: '(4 cached)' }).waitFor({ timeout: 15_000 });
    assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    await page.close();
  });
}

async function cleanup() {
  if (browser) await browser.close().catch(() => undefined);
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        r();
      }, 5000);
      server.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  rmSync(tmp, { recursive: true, force: true });
}

let fatal = null;
try {
  await main();
} catch (e) {
  fatal = e;
  results.push({ name: 'setup', status: 'failed' });
  log(`FAIL setup: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup();
}
const passed = results.filter((r) => r.status === 'passed').length;
const failed = results.filter((r) => r.status === 'failed').length;
log(`screenshots: ${shots}`);
log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || fatal ? 1 : 0);
