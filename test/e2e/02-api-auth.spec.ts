// The loopback API: every call needs the launch token.
import { expect, test } from './fixtures';

test('the API refuses a missing or wrong token with 401', async ({ api, srv }) => {
  const none = await api('listRuns', {}, null);
  expect(none.status, 'no token').toBe(401);
  const wrong = await api('listRuns', {}, `${srv.token.slice(0, -2)}xx`);
  expect(wrong.status, 'wrong token').toBe(401);
  expect(wrong.body?.code, `error body ${JSON.stringify(wrong.body)}`).toBe('unauthorized');
  const right = await api('listRuns', {});
  expect(right.status, 'right token').toBe(200);
});

test('issue 15 #9: deep links keep view, metric, step scale, tensor and step; a second tab works; a page without the token says how to get a fresh link', async ({ page, srv, analyse, demo, browser, consoleErrors }) => {
  await analyse(demo.id, ['weights']);
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/curves`);
  await page.locator('[data-testid=curves-chart][data-drawn]').waitFor();
  await page.locator('#cv-metric').selectOption('std');
  await page.locator('#cv-steps').selectOption('linear');
  await page.getByTestId('log-y').uncheck().catch(() => undefined);
  await expect(page).toHaveURL(/metric=std/);
  await expect(page).toHaveURL(/steps=linear/);
  const link = page.url();
  expect(link, 'the token is not in the visible address').not.toContain('token=');
  // The same address in a second tab of this browser: the same view, no token error.
  const second = await page.context().newPage();
  await second.goto(link);
  await second.locator('[data-testid=curves-chart][data-drawn]').waitFor();
  await expect(second.locator('#cv-metric')).toHaveValue('std');
  await expect(second.locator('#cv-steps')).toHaveValue('linear');
  expect(await second.getByTestId('token-help').count()).toBe(0);
  // Animations: tensor and checkpoint in the address; the link reopens that frame.
  await page.goto(`${srv.origin}/#/run/${encodeURIComponent(demo.id)}/animations`);
  await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor();
  await page.locator('[data-testid=timeline-slider]').focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const label = (await page.getByTestId('frame-label').textContent()) ?? '';
  const id = /\(([^()]+)\) \(\d+\/\d+\)$/.exec(label)?.[1];
  expect(id, `the frame label names its checkpoint: ${label}`).toBeTruthy();
  await expect(page).toHaveURL(new RegExp(`checkpoint=${id}(&|$)`));
  await second.goto(page.url());
  await second.locator('[data-testid=anim-histogram] [data-drawn]').waitFor();
  await expect(second.getByTestId('frame-label')).toHaveText(label ?? '');
  await second.close();
  // Another browser (no stored token): a clear way out instead of a bare 401.
  const other = await browser.newContext();
  const stranger = await other.newPage();
  await stranger.goto(link);
  await expect(stranger.getByTestId('token-help')).toContainText('checkpoint-atlas serve');
  await other.close();
  consoleErrors.allow(/Failed to load resource|401/);
});
