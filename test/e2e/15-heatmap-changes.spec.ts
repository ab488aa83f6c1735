// Issue 18: change points on the Overview heatmap columns. Each panel carries as many marks as the
// API's trajectories give for its rows; `]` in a focused panel moves the cursor to the next
// marked column, and the readout and tooltip say so.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { CHANGE_COLOUR } from '../../common/charts/trajectory-overlays';
import { SHOT_SIZES, downloaded, expect, shotsDir, test, type Grid } from './fixtures';

/**
 * A screenshot around the panel at each documentation size (or once at the test's size), the
 * panel scrolled into view after each resize: the panel grid reflows with the width, so the
 * fixture's clip measured in place could fall outside the window.
 */
async function panelShot(page: Page, panel: Locator, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  const original = page.viewportSize()!;
  for (const size of SHOT_SIZES.length ? SHOT_SIZES : [original]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(400);
    await panel.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.waitForTimeout(300);
    const box = (await panel.boundingBox())!;
    const x = Math.max(0, box.x - 12);
    const y = Math.max(0, box.y - 12);
    const file = SHOT_SIZES.length ? `${name}-${size.width}x${size.height}.png` : `${name}.png`;
    await page.screenshot({ path: join(shotsDir, file), clip: { x, y, width: Math.min(box.width + 24, size.width - x), height: Math.min(box.height + 24, size.height - y) } });
  }
  await page.setViewportSize(original);
}

test('issue 18: change points marked on heatmap columns, reachable by keyboard', async ({ page, srv, apiOk, analyse, demo }) => {
  await analyse(demo.id, ['weights']);
  const metric = 'frobenius_norm';
  const t = await apiOk('trajectories', { runId: demo.id, metric });
  const grid = (await apiOk('scalarGrid', { runId: demo.id, metric })) as Grid;
  const componentOf = new Map(grid.tensors.map((x) => [x.tensor, `${x.component}|${x.kind}`]));
  const perPanel = new Map<string, Array<{ tensor: string; step: number }>>();
  for (const c of t.changePoints as Array<{ tensor: string; step: number }>) {
    const k = componentOf.get(c.tensor)!;
    perPanel.set(k, [...(perPanel.get(k) ?? []), c]);
  }
  expect(perPanel.size, 'the demo has change points in frobenius_norm').toBeGreaterThan(0);
  const [key, marks] = [...perPanel.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  const [component, kind] = key.split('|');

  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/overview?metric=${metric}`);
  const panel = page.locator(`[data-testid=heatmap-panel][data-component="${component}"][data-kind="${kind}"]`);
  // Panels are drawn as they come near the viewport: scroll down until this one is.
  await page.locator('[data-testid=heatmap-panel]').first().waitFor();
  // A grid reload (the analysis's done event) mounts the panels again one by one: the scroll is
  // retried with the search (the full suite met a panel detached between the two).
  await expect(async () => {
    if (!(await panel.count())) await page.mouse.wheel(0, 500);
    await expect(panel).toBeAttached({ timeout: 500 });
    await panel.scrollIntoViewIfNeeded({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  const chart = panel.locator('.chart');
  await expect(chart).toHaveAttribute('data-change-marks', String(marks.length));
  await expect(chart).toHaveAttribute('aria-label', /Change points at steps? .*\] and \[ jump between them/);

  await page.waitForTimeout(300);
  await panelShot(page, panel, 'overview-change-points');
  // Keyboard: Home (first checkpoint), then ] lands on the earliest marked column.
  await chart.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press(']');
  const first = Math.min(...marks.map((m) => m.step));
  const readout = page.getByTestId('heatmap-readout');
  const checkpoint = grid.checkpointIds[grid.steps.indexOf(first)];
  await expect(readout).toHaveAttribute('data-checkpoint', checkpoint);
  const tensor = await readout.getAttribute('data-tensor');
  expect(marks.some((m) => m.tensor === tensor && m.step === first), `${tensor} changes at ${first}`).toBe(true);
  await expect(panel.getByTestId('heatmap-tooltip')).toContainText('change point (strength');
  await panelShot(page, panel, 'overview-change-points-keyboard');

  // The panel's Export menu: a checkable "change-point marks" item, on as the view shows them;
  // the SVG holds one diamond per mark with it, none after switching it off.
  await page.keyboard.press('Escape');
  const exportBox = panel.getByTestId('export-panel');
  const svgDiamonds = async (): Promise<number> => {
    const downloading = page.waitForEvent('download', { timeout: 60_000 });
    await exportBox.locator('[role=menuitem][data-format=svg]').click();
    const svg = Buffer.from(await downloaded(await downloading)).toString('utf8');
    return [...svg.matchAll(/<path [^>]*>/g)].filter((m) => m[0].toLowerCase().includes(CHANGE_COLOUR.toLowerCase())).length;
  };
  await exportBox.getByTestId('export-button').click();
  const item = exportBox.locator('[role=menuitemcheckbox][data-switch=changePoints]');
  await expect(item).toHaveAttribute('aria-checked', 'true');
  expect(await svgDiamonds()).toBe(marks.length);
  await exportBox.getByTestId('export-button').click();
  await item.click();
  await expect(item).toHaveAttribute('aria-checked', 'false');
  expect(await svgDiamonds()).toBe(0);

  // Off: no marks, and the Export menu's switch starts off.
  await page.getByTestId('ov-changes').uncheck();
  await expect(chart).toHaveAttribute('data-change-marks', '0');
  await exportBox.getByTestId('export-button').click();
  await expect(item).toHaveAttribute('aria-checked', 'false');
  await page.keyboard.press('Escape');
});
